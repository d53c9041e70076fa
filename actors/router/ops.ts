import type { Static } from '@sinclair/typebox';
import type { NeutronRouterRow } from '../../models/index.js';
import type { Gateway } from './protocol.js';

export type RouterGateway = Static<typeof Gateway>;
/** The interface a change touched, as Neutron answers `add_router_interface` and `remove_router_interface`. */
export interface RouterInterface {
  readonly port_id: string;
  readonly subnet_id: string;
  readonly subnet_ids: readonly string[];
  readonly network_id: string;
}

/**
 * The SQL of a router's changes, run by its actor. A refusal is thrown as an error carrying `status` (< 500) and
 * `type`, as `NetworkOps` does.
 */
export interface RouterOps {
  createRouter(row: Record<string, unknown>, gateway: RouterGateway | null): Promise<NeutronRouterRow>;
  /** `gateway` undefined leaves the gateway as it is; null clears it. */
  updateRouter(id: string, changes: Record<string, unknown>, gateway: RouterGateway | null | undefined): Promise<NeutronRouterRow>;
  deleteRouter(id: string): Promise<void>;
  addInterface(router: NeutronRouterRow, asked: { subnet_id?: string; port_id?: string }): Promise<RouterInterface>;
  removeInterface(router: NeutronRouterRow, asked: { subnet_id?: string; port_id?: string }): Promise<RouterInterface>;
}
