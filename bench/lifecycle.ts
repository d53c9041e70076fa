import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { imageDescription } from '../actors/host/image-ops.js';
import { note, report, scaled, until } from './report.js';
import { inBatches, instanceTimes, openBenchDatabase, startBenchCloud, type Servers } from './support.js';

const SERVERS = scaled(200, 10);
const CONCURRENCY = 25;
const HOSTS = 3;

/** One server action through the API, and the status it leaves every server in once finished. */
interface Step {
  readonly body: unknown;
  readonly status: string;
  /** The HTTP status Nova answers it with. */
  readonly answer: number;
}

/**
 * A lifecycle figure: its steps through the API, each waited out for every server, and the libvirt calls the host
 * actors make for the same thing, straight through the binding (server i, on hosts `from` → `to`). Another figure
 * (rebuild) is one more entry in PHASES.
 */
interface Phase {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Answers the hypervisor the guest is left on. */
  readonly raw: (from: LibvirtConnection, to: LibvirtConnection, uuid: string) => Promise<LibvirtConnection>;
}

// A resize or cold migration undefines the guest on its source and defines and starts it on the destination;
// the confirmation frees the source's claim, with no libvirt call.
const move = async (from: LibvirtConnection, to: LibvirtConnection, uuid: string, memoryMb: number) => {
  await from.remove(uuid);
  await to.ensureRunning({ uuid, memoryMb, vcpus: 1, type: 'test' });
  return to;
};

// A rebuild on a simulated host stays on its host: the guest is undefined, defined afresh carrying its new image
// in its description, and started (actors/host/image-ops.ts).
const rebuild = async (on: LibvirtConnection, uuid: string, memoryMb: number) => {
  const spec = { uuid, memoryMb, vcpus: 1, type: 'test' } as const;
  await on.remove(uuid);
  await on.define(spec);
  await on.setDescription(uuid, imageDescription(TINY_IMAGE_ID));
  await on.ensureRunning(spec);
  return on;
};

const PHASES: readonly Phase[] = [
  {
    name: 'resize+confirm',
    steps: [
      { body: { resize: { flavorRef: '2' } }, status: 'VERIFY_RESIZE', answer: 202 },
      { body: { confirmResize: null }, status: 'ACTIVE', answer: 204 },
    ],
    raw: (from, to, uuid) => move(from, to, uuid, 2048),
  },
  {
    name: 'cold-migrate+confirm',
    steps: [
      { body: { migrate: null }, status: 'VERIFY_RESIZE', answer: 202 },
      { body: { confirmResize: null }, status: 'ACTIVE', answer: 204 },
    ],
    raw: (from, to, uuid) => move(from, to, uuid, 2048),
  },
  {
    name: 'rebuild',
    steps: [{ body: { rebuild: { imageRef: TINY_IMAGE_ID } }, status: 'ACTIVE', answer: 202 }],
    raw: (from, _to, uuid) => rebuild(from, uuid, 2048),
  },
];

/**
 * SERVERS servers on the simulated hosts through each phase (resize, cold migration, rebuild), every step waited
 * out until each server has finished it (its status, no task state), the end read from the rows' own `updated_at`;
 * vs the libvirt calls the same actions make, at the same concurrency, on fresh domains of the same hypervisors, in
 * the same run.
 */
export async function run(): Promise<void> {
  const { nova, token, hypervisors, stateDir, stop, opsPort, databaseUrl } = await startBenchCloud('sl-', { ops: true });
  // The profile beside each figure: group commits, the writes in them, and the messages each actor kind handled.
  const counters = async () => {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    const out = new Map<string, number>();
    const line = /^(stratus_store_(?:transactions|operations|busy_seconds)_total|stratus_actor_handler_seconds_(count|sum)\{kind="(\w+)"\}) (\S+)$/gm;
    for (const m of text.matchAll(line)) out.set(m[3] ? `${m[3]} ${m[2]}` : m[1], Number(m[4]));
    return out;
  };
  const sequelize = openBenchDatabase(stateDir, databaseUrl);
  try {
    const finished = async (ids: readonly string[], status: string) => {
      const wanted = new Set(ids);
      await until(async () => {
        const r = await nova.call('GET', '/v2.1/servers/detail?limit=5000', { token });
        const done = (r.body as Servers).servers.filter(
          (s) => wanted.has(s.id as string) && s.status === status && s['OS-EXT-STS:task_state'] === null,
        ).length;
        if (done < wanted.size) await new Promise((res) => setTimeout(res, 50));
        return done >= wanted.size;
      }, 600_000);
    };
    const ids = await inBatches(SERVERS, CONCURRENCY, async (i) => {
      const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name: `life-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
      return (r.body as { server: { id: string } }).server.id;
    });
    await finished(ids, 'ACTIVE');

    const hosts = hypervisors(HOSTS);
    for (const phase of PHASES) {
      let elapsed = 0;
      const before = await counters();
      for (const step of phase.steps) {
        const p0 = Date.now();
        await inBatches(SERVERS, CONCURRENCY, async (i) => {
          const r = await nova.call('POST', `/v2.1/servers/${ids[i]}/action`, { token, body: step.body });
          if (r.status !== step.answer) throw new Error(`${phase.name} answered ${r.status}: ${JSON.stringify(r.body)}`);
        });
        const posted = Date.now();
        await finished(ids, step.status);
        const last = Math.max(...[...(await instanceTimes(sequelize, ids)).values()].map((t) => t.updated));
        // Where a step's time goes: answering the POSTs (each waits for its commit), or the work after the answers.
        note(
          `${phase.name}, step ${Object.keys(step.body as object)[0]}: ${SERVERS} POSTs answered in ${posted - p0} ms (${CONCURRENCY} at a time), the last server finished ${last - p0} ms after the first POST`,
        );
        elapsed += last - p0;
      }
      const after = await counters();
      const per = (key: string) => ((after.get(key) ?? 0) - (before.get(key) ?? 0)) / SERVERS;
      const kinds = [...after.keys()].filter((k) => k.endsWith(' count') && per(k) > 0).map((k) => k.slice(0, -' count'.length));
      note(
        `${phase.name} per server (all its steps, status polls included): ${per('stratus_store_transactions_total').toFixed(1)} group commits, ` +
          `${per('stratus_store_operations_total').toFixed(1)} store writes; messages handled: ${kinds.map((k) => `${k} ${per(`${k} count`).toFixed(1)}`).join(', ')}`,
      );
      // An actor takes its messages one at a time: a kind's handler time summed over the phase, against the phase's
      // time times how many actors of the kind there are, says how near that kind is to being the bottleneck.
      note(
        `${phase.name} handler time per phase-second: ${kinds.map((k) => `${k} ${(((after.get(`${k} sum`) ?? 0) - (before.get(`${k} sum`) ?? 0)) / (elapsed / 1000)).toFixed(2)}`).join(', ')} (hosts: ${HOSTS}); the store's transactions ${(((after.get('stratus_store_busy_seconds_total') ?? 0) - (before.get('stratus_store_busy_seconds_total') ?? 0)) / (elapsed / 1000)).toFixed(2)} (one at a time: 1 is saturated)`,
      );
      const raw = Array.from({ length: SERVERS }, () => crypto.randomUUID());
      await inBatches(SERVERS, CONCURRENCY, (i) => hosts[i % HOSTS].ensureRunning({ uuid: raw[i], memoryMb: 512, vcpus: 1, type: 'test' }));
      const r0 = performance.now();
      const left = await inBatches(SERVERS, CONCURRENCY, (i) => phase.raw(hosts[i % HOSTS], hosts[(i + 1) % HOSTS], raw[i]));
      const rawElapsed = performance.now() - r0;
      for (const [i, uuid] of raw.entries()) await left[i].remove(uuid);
      const actions = SERVERS * phase.steps.length;
      report(
        `${phase.name} through the API, each until finished (${SERVERS} servers, ${actions} actions, ${CONCURRENCY} clients)`,
        actions / (elapsed / 1000),
        'actions/s',
        'the same libvirt calls through the binding',
        actions / (rawElapsed / 1000),
      );
    }
    await Promise.all(hosts.map((h) => h.close()));
  } finally {
    await sequelize.close();
    await stop();
  }
}
