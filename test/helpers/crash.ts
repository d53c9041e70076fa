import { join } from 'node:path';
import { startCloudProcess } from './cloud-process.js';
import type { Api } from './compute.js';
import { eventually } from './drive.js';
import { ADMIN_PASSWORD, client } from './identity.js';
import { startTestCloud, type TestCloud } from './test-cloud.js';

// What the kill -9 tests share: a cloud in its own process (its hypervisors, detached, outlive it),
// and a burst of requests cut short by SIGKILL and a restart.

export interface CrashCloud {
  readonly c: TestCloud;
  readonly stateDir: string;
  /** The two simulated hypervisors, to be read straight through libvirt. */
  readonly uris: readonly string[];
  readonly nova: Api;
  /** An admin token; tokens survive a restart. */
  readonly token: string;
}

export async function startCrashCloud(name: string): Promise<CrashCloud> {
  const c = await startTestCloud(name, { STRATUS_LIBVIRT_SIMULATED_HOSTS: '2', STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const stateDir = c.env.STRATUS_STATE_DIR;
  const uris = [1, 2].map((i) => `test+unix:///default?socket=${join(stateDir, 'hv', String(i), 'libvirt-sock')}`);
  const token = (await client(`http://127.0.0.1:${c.port}`).login('admin', ADMIN_PASSWORD, 'admin')).token!;
  return { c, stateDir, uris, nova: client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_COMPUTE}`), token };
}

type Reply = Awaited<ReturnType<Api['call']>>;

/**
 * Sends every request at once, kills the cloud with SIGKILL once `enough` of them are accepted (202),
 * and starts it again; answers what `keyOf` names of each request accepted before the kill.
 */
export async function killDuringBurst(
  c: TestCloud,
  requests: Array<() => Promise<Reply>>,
  enough: number,
  keyOf: (accepted: Reply) => string | null,
): Promise<string[]> {
  let accepted = 0;
  const burst = requests.map((request) =>
    request()
      .then((r) => {
        if (r.status === 202) accepted++;
        return r.status === 202 ? keyOf(r) : undefined;
      })
      .catch(() => undefined),
  );
  await eventually(() => accepted >= enough, 60_000, 1);
  c.cloud.child.kill('SIGKILL');
  const keys = (await Promise.all(burst)).filter((k): k is string => typeof k === 'string');
  c.cloud = await startCloudProcess(c.env);
  return keys;
}
