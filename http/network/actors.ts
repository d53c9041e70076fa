import { networkProtocol, type Refusal } from '../../actors/network/index.js';
import { routerProtocol, type RouterInterface } from '../../actors/router/index.js';
import type { NeutronNetworkRow, NeutronRouterRow, NeutronSubnetRow } from '../../models/index.js';
import { clientOf, type ActorClient, type ActorGateway } from '../../runtime/client.js';
import { ActorError } from '../../runtime/errors.js';
import { NeutronError } from './errors.js';

/** What the network actor answers. */
export interface NetworkReplies {
  create: NeutronNetworkRow;
  update: NeutronNetworkRow;
  delete: { deleted: string };
  createSubnet: NeutronSubnetRow;
  updateSubnet: NeutronSubnetRow;
  deleteSubnet: { deleted: string };
  get: NeutronNetworkRow;
}

export interface RouterReplies {
  create: NeutronRouterRow;
  update: NeutronRouterRow;
  delete: { deleted: string };
  addInterface: RouterInterface;
  removeInterface: RouterInterface;
  get: NeutronRouterRow;
}

export type NetworkClient = ActorClient<typeof networkProtocol.spec, NetworkReplies>;
export type RouterClient = ActorClient<typeof routerProtocol.spec, RouterReplies>;

/** The network and router kinds as typed clients: the Networking API changes networks, subnets and routers only through them. */
export interface NetworkActors {
  readonly network: (id: string) => NetworkClient;
  readonly router: (id: string) => RouterClient;
}

export function networkActors(gateway: ActorGateway): NetworkActors {
  return {
    network: clientOf<typeof networkProtocol.spec, NetworkReplies>(networkProtocol, gateway),
    router: clientOf<typeof routerProtocol.spec, RouterReplies>(routerProtocol, gateway),
  };
}

/**
 * An actor's answer as the API gives it: a refusal becomes the Neutron error it carries; an actor no node can
 * hold now (no node with its role, a router's network node away) is 503, as Neutron answers while its agents are.
 */
export async function answered<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ActorError) {
      const refusal = error.details as Partial<Refusal> | undefined;
      if (error.code === 'rejected' && typeof refusal?.status === 'number' && typeof refusal.type === 'string')
        throw new NeutronError(refusal.status, refusal.type, error.message);
      if (error.code === 'unavailable' || error.code === 'overloaded' || error.code === 'stopped')
        throw new NeutronError(503, 'ServiceUnavailable', `The service is unavailable: ${error.message}`);
    }
    throw error;
  }
}
