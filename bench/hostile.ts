import { Agent, request } from 'node:http';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { count, note, percentile, report, scaled, until } from './report.js';
import { inBatches, startBenchCloud } from './support.js';

// What a member can do to everyone else: the p99 of a plain request while one member sends the
// worst requests we know, vs the same request on the idle cloud, in one run; and whether a login
// tells an unknown user name from a wrong password by its time. On code that does not yet defend
// against these the figures are bad: every loop here is bounded in count and in time, every request
// has a client timeout, and a request that times out is counted (at the timeout) instead of waited for.

const PLAIN = scaled(400, 40);
const LOGINS = scaled(100, 10);
const ATTACKERS = 4;
const PLAIN_TIMEOUT_MS = 10_000;
const ATTACK_TIMEOUT_MS = 5_000;
/** The attack phase ends when the plain requests are done or after this long, whichever comes first. */
const ATTACK_PHASE_MS = Math.max(20_000, PLAIN * 250);

interface Answer {
  status: number;
  ms: number;
  timedOut: boolean;
  error?: string;
}

/** One request with a client timeout; never throws: a timeout or a broken connection is an answer too. */
function send(
  agent: Agent,
  url: string,
  method: string,
  options: { token?: string; body?: string; headers?: Record<string, string> },
  timeoutMs: number,
): Promise<Answer> {
  const at = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Omit<Answer, 'ms'>) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve({ ...a, ms: performance.now() - at });
      }
    };
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...(options.body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) } : {}),
          ...(options.token ? { 'x-auth-token': options.token } : {}),
          ...options.headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => finish({ status: res.statusCode ?? 0, timedOut: false }));
        res.on('error', (e) => finish({ status: 0, timedOut: false, error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ status: 0, timedOut: true });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => finish({ status: 0, timedOut: false, error: e.message }));
    req.end(options.body);
  });
}

/** How a run of answers came out: `2xx 3, 4xx 10, 5xx 0, timeouts 2, errors 0`. */
class Tally {
  private readonly by = new Map<string, number>();
  add(a: Answer): void {
    const key = a.timedOut ? 'timeouts' : a.status === 0 ? 'errors' : `${Math.floor(a.status / 100)}xx`;
    this.by.set(key, (this.by.get(key) ?? 0) + 1);
  }
  get total(): number {
    return [...this.by.values()].reduce((a, b) => a + b, 0);
  }
  toString(): string {
    return ['2xx', '4xx', '5xx', 'timeouts', 'errors'].map((k) => `${k} ${this.by.get(k) ?? 0}`).join(', ');
  }
}

/** A name that a nested quantifier takes exponential time to reject: 27 a's and a character that fails the match. */
const EVIL_NAME = `${'a'.repeat(27)}!`;
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const server = (extra: Record<string, unknown>) => JSON.stringify({ server: { name: 'hostile', imageRef: TINY_IMAGE_ID, flavorRef: '1', ...extra } });

export async function run(): Promise<void> {
  const cloud = await startBenchCloud('sh-');
  const plainAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const attackAgent = new Agent({ keepAlive: false, maxSockets: ATTACKERS * 2 });
  try {
    const { urls, token: admin } = cloud;
    const demo = (await cloud.keystone.login('demo', cloud.demoPassword, 'demo')).token!;

    // The plain request: an admin reading one of its servers. The member's servers carry the names
    // its regular expressions will be matched against.
    const boot = async (t: string, name: string) => {
      const r = await cloud.nova.call('POST', '/v2.1/servers', { token: t, body: JSON.parse(server({ name })) });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
      return (r.body as { server: { id: string } }).server.id;
    };
    const plainId = await boot(admin, 'plain');
    await inBatches(3, 3, () => boot(demo, EVIL_NAME));
    await until(async () => {
      const r = await cloud.nova.call('GET', '/v2.1/servers?status=ACTIVE&all_tenants=1&limit=100', { token: admin });
      const active = (r.body as { servers: unknown[] }).servers.length;
      if (active < 4) await new Promise((res) => setTimeout(res, 50));
      return active >= 4;
    }, 120_000);
    const plain = () => send(plainAgent, `${urls.compute}/v2.1/servers/${plainId}`, 'GET', { token: admin }, PLAIN_TIMEOUT_MS);

    // ── login: unknown user name vs wrong password, interleaved so both see the same machine ──
    const login = (user: string) =>
      send(
        plainAgent,
        `${urls.identity}/v3/auth/tokens`,
        'POST',
        {
          body: JSON.stringify({
            auth: {
              identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password: 'not-the-password' } } },
            },
          }),
        },
        PLAIN_TIMEOUT_MS,
      );
    const unknown: number[] = [];
    const wrong: number[] = [];
    const loginTally = new Tally();
    await login('demo');
    for (let i = 0; i < LOGINS; i++) {
      for (const [user, into] of (i % 2
        ? [
            ['demo', wrong],
            [`nobody-${i}`, unknown],
          ]
        : [
            [`nobody-${i}`, unknown],
            ['demo', wrong],
          ]) as Array<[string, number[]]>) {
        const a = await login(user);
        loginTally.add(a);
        if (a.status !== 401) throw new Error(`login of ${user} with a wrong password answered ${a.status || a.error || 'timeout'}`);
        into.push(a.ms);
      }
    }
    unknown.sort((a, b) => a - b);
    wrong.sort((a, b) => a - b);

    // ── the plain request on the idle cloud ──
    await plain();
    const idle: number[] = [];
    const idleTally = new Tally();
    for (let i = 0; i < PLAIN; i++) {
      const a = await plain();
      idleTally.add(a);
      idle.push(a.ms);
    }
    idle.sort((a, b) => a - b);

    // ── the same while the member attacks ──
    const n = `${urls.compute}/v2.1`;
    const attacks: Array<[string, () => Promise<Answer>]> = [
      [
        'catastrophic regex in name',
        () => send(attackAgent, `${n}/servers/detail?name=${encodeURIComponent('^(a+)+$')}`, 'GET', { token: demo }, ATTACK_TIMEOUT_MS),
      ],
      [
        'catastrophic regex in name (summary list)',
        () => send(attackAgent, `${n}/servers?name=${encodeURIComponent('(a|a)+$')}`, 'GET', { token: demo }, ATTACK_TIMEOUT_MS),
      ],
      [
        'max_count 10^30',
        () => send(attackAgent, `${n}/servers`, 'POST', { token: demo, body: server({ min_count: 1, max_count: 1e30 }) }, ATTACK_TIMEOUT_MS),
      ],
      ['min_count 1e308', () => send(attackAgent, `${n}/servers`, 'POST', { token: demo, body: server({ min_count: 1e308 }) }, ATTACK_TIMEOUT_MS)],
      [
        'JSON nested 100,000 deep (compute)',
        () => send(attackAgent, `${n}/servers`, 'POST', { token: demo, body: deep(100_000) }, ATTACK_TIMEOUT_MS),
      ],
      [
        'JSON nested 100,000 deep (identity)',
        () => send(attackAgent, `${urls.identity}/v3/auth/tokens`, 'POST', { body: deep(100_000) }, ATTACK_TIMEOUT_MS),
      ],
      ['NUL byte in an id', () => send(attackAgent, `${n}/servers/%00${plainId}`, 'GET', { token: demo }, ATTACK_TIMEOUT_MS)],
      ['NUL byte in a filter', () => send(attackAgent, `${n}/servers/detail?name=a%00b&status=ACTIVE%00`, 'GET', { token: demo }, ATTACK_TIMEOUT_MS)],
      [
        'NUL byte in a login',
        () =>
          send(
            attackAgent,
            `${urls.identity}/v3/auth/tokens`,
            'POST',
            {
              body: JSON.stringify({
                auth: {
                  identity: { methods: ['password'], password: { user: { name: 'de\u0000mo', domain: { id: 'default\u0000' }, password: 'x' } } },
                },
              }),
            },
            ATTACK_TIMEOUT_MS,
          ),
      ],
      ['limit 10^9 on the detail list', () => send(attackAgent, `${n}/servers/detail?limit=1000000000`, 'GET', { token: demo }, ATTACK_TIMEOUT_MS)],
      ['limit 10^9 on flavors', () => send(attackAgent, `${n}/flavors/detail?limit=1000000000`, 'GET', { token: demo }, ATTACK_TIMEOUT_MS)],
      [
        'a 1,000-element list filter',
        () =>
          send(
            attackAgent,
            `${n}/servers/detail?${Array.from({ length: 1_000 }, (_, i) => `status=S${i}`).join('&')}`,
            'GET',
            { token: demo },
            ATTACK_TIMEOUT_MS,
          ),
      ],
    ];
    const tallies = new Map(attacks.map(([name]) => [name, new Tally()]));
    let attacking = true;
    const phaseEnd = Date.now() + ATTACK_PHASE_MS;
    let next = 0;
    const attackers = Array.from({ length: ATTACKERS }, async () => {
      while (attacking && Date.now() < phaseEnd) {
        const [name, attack] = attacks[next++ % attacks.length];
        tallies.get(name)!.add(await attack());
      }
    });
    const busy: number[] = [];
    const busyTally = new Tally();
    // Give the attackers their first requests in flight before sampling.
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < PLAIN && Date.now() < phaseEnd; i++) {
      const a = await plain();
      busyTally.add(a);
      busy.push(a.ms);
    }
    attacking = false;
    await Promise.all(attackers);
    busy.sort((a, b) => a - b);

    const sampled =
      busy.length < PLAIN ? ` (only ${count(busy.length)} of ${count(PLAIN)} in the ${Math.round(ATTACK_PHASE_MS / 1000)} s allowed)` : '';
    report(
      `p99 of GET /servers/{id} while a member attacks (${count(busy.length)} requests${sampled}, ${ATTACKERS} attackers)`,
      busy.length ? percentile(busy, 99) : Number.NaN,
      'ms',
      `the same request on the idle cloud (${count(idle.length)} requests)`,
      percentile(idle, 99),
    );
    note(
      `plain requests idle: ${idleTally.toString()}; under attack: ${busyTally.toString()} (a timeout counts as ${PLAIN_TIMEOUT_MS} ms); target: p99 under attack ≤ 1000 ms`,
    );
    for (const [name, tally] of tallies) note(`attack ${name}: ${tally.total} sent: ${tally.toString()}`);
    report(
      `login with an unknown user name p50 (POST /v3/auth/tokens → 401, ${count(LOGINS)} each)`,
      percentile(unknown, 50),
      'ms',
      'login of a known user with a wrong password p50',
      percentile(wrong, 50),
    );
    note(
      `logins: ${loginTally.toString()}; p90 unknown ${percentile(unknown, 90).toFixed(2)} ms, wrong password ${percentile(wrong, 90).toFixed(2)} ms; target ratio 0.9–1.1`,
    );
  } finally {
    plainAgent.destroy();
    attackAgent.destroy();
    await cloud.stop();
  }
}
