import { computeActors } from './actors.js';
import type { ComputeDeps } from './deps.js';
import { ComputeFault, notFound } from './errors.js';
import { authorize, type ComputeCaller } from './policy.js';
import { findServer } from './servers.js';

// Nova's get_console_output: the tail of the guest's serial console log, read on its compute host.

// Nova removes these from the output (its API once answered in XML too); tab and newline stay.
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL = /[\x00-\x08\x0B-\x1F]/g;

/** The server's console output, `length` lines from its end when given. */
export async function consoleOutput(d: ComputeDeps, caller: ComputeCaller, id: string, length: number | undefined): Promise<string> {
  const server = await findServer(d, caller, id, { attributes: ['uuid', 'project_id', 'host'] });
  authorize(caller, 'os_compute_api:os-console-output', 'member');
  // Nova's check_instance_host: a server not yet placed has no console.
  if (!server.host) throw new ComputeFault(409, `Instance ${server.uuid} is not ready`);
  try {
    const { output } = await computeActors(d.actors)
      .host(server.host)
      .consoleOutput({ instance_uuid: server.uuid, ...(length !== undefined ? { length } : {}) }, { correlationId: caller.correlationId });
    return output.replace(CONTROL, '');
  } catch (error) {
    const e = error as { code?: string; message?: string; details?: { unavailable?: boolean } };
    if (e.code === 'rejected' && e.details?.unavailable) throw notFound(e.message ?? 'Guest does not have a console available.');
    throw error;
  }
}
