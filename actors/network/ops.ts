import type { NeutronNetworkRow, NeutronSubnetRow } from '../../models/index.js';
import { reject } from '../../runtime/errors.js';

/**
 * The SQL of a network's changes, run by its actor (one change at a time per network). Each is idempotent on the
 * ids the API chose, so a message handled again after a crash finds its own row and answers with it. A refusal is
 * thrown as an error carrying `status` (< 500) and `type` (Neutron's exception name).
 */
export interface NetworkOps {
  createNetwork(row: Record<string, unknown>): Promise<NeutronNetworkRow>;
  updateNetwork(id: string, changes: Record<string, unknown>): Promise<NeutronNetworkRow>;
  deleteNetwork(id: string): Promise<void>;
  createSubnet(row: Record<string, unknown>): Promise<NeutronSubnetRow>;
  updateSubnet(id: string, changes: Record<string, unknown>): Promise<NeutronSubnetRow>;
  deleteSubnet(id: string): Promise<void>;
}

/** What a refusal carries to the API through the actor's rejection. */
export interface Refusal {
  readonly status: number;
  readonly type: string;
}

/** Runs an operation, turning its refusal into the actor's rejection (no crash, no retry); anything else crashes. */
export async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = error as { status?: unknown; type?: unknown; message?: string };
    if (typeof e.status === 'number' && e.status < 500 && typeof e.type === 'string') {
      throw reject(e.message ?? e.type, { status: e.status, type: e.type } satisfies Refusal);
    }
    throw error;
  }
}
