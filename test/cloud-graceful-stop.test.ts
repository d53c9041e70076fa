import test from 'ava';
import { once } from 'node:events';
import { boot } from './helpers/compute.js';
import { startCrashCloud } from './helpers/crash.js';
import { startCloudProcess } from './helpers/cloud-process.js';
import { eventually } from './helpers/drive.js';
import { stopTestCloud } from './helpers/test-cloud.js';

// SIGTERM in the middle of 20 boots: the requests the cloud took in are answered before it stops, so a client
// never retries a boot that was in fact made; the ones it did not take in made nothing.
test('SIGTERM during 20 boots: every boot taken in is answered 202 before the process exits, and the servers made are exactly those', async (t) => {
  const { c, nova, token } = await startCrashCloud('graceful-stop');
  try {
    let signalled = false;
    let answeredAfterSignal = 0;
    const outcomes = await (async () => {
      const burst = Array.from({ length: 20 }, (_, i) =>
        boot(nova, token, `burst-${i}`).then(
          (r) => {
            if (signalled) answeredAfterSignal++;
            return { status: r.status, id: r.body?.server?.id as string | undefined, error: undefined };
          },
          (error: Error) => ({ status: undefined, id: undefined, error: (error.cause as Error | undefined)?.message ?? error.message }),
        ),
      );
      let first = false;
      void Promise.race(burst).then(() => {
        first = true;
      });
      await eventually(() => first, 60_000, 1);
      signalled = true;
      c.cloud.child.kill('SIGTERM');
      return Promise.all(burst);
    })();
    const [code] = c.cloud.child.exitCode !== null ? [c.cloud.child.exitCode] : await once(c.cloud.child, 'exit');
    t.is(code, 0, 'the stop completed within timeouts.shutdownMs');
    t.true(c.cloud.lines.some((l) => l.msg === 'stratus stopped'));
    t.true(answeredAfterSignal > 0, 'some boots were still in flight when the signal came');
    const accepted = outcomes.filter((o) => o.status === 202).map((o) => o.id!);
    t.deepEqual(
      outcomes.filter((o) => o.status !== undefined && o.status !== 202),
      [],
      'no boot taken in was refused or failed',
    );
    t.log(`${accepted.length} boots answered 202, ${answeredAfterSignal} of them after SIGTERM; ${outcomes.length - accepted.length} not taken in`);
    for (const o of outcomes.filter((o) => o.status === undefined)) t.regex(o.error, /ECONNREFUSED|ECONNRESET|other side closed|socket/i);

    c.cloud = await startCloudProcess(c.env);
    const servers = (await nova.call('GET', '/v2.1/servers?all_tenants=1', { token })).body.servers as Array<{ id: string; name: string }>;
    t.deepEqual(servers.map((s) => s.id).sort(), accepted.sort(), 'the servers made are exactly the boots answered 202');
  } finally {
    await stopTestCloud(c);
  }
});
