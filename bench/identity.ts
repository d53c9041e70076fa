import Koa from 'koa';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../http/listen.js';
import { SCRYPT, scrypt } from '../http/identity/passwords.js';
import { count, report, scaled } from './report.js';
import { inBatches } from './support.js';
import { SimulatedClock } from '../runtime/clock.js';
import { client, startIdentityServer, ADMIN_PASSWORD, DEMO_PASSWORD } from '../test/helpers/identity.js';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function call(url: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests per second with `concurrency` callers each looping until `total` requests are done. */
async function rate(total: number, concurrency: number, one: () => Promise<number>, expect: number): Promise<number> {
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued++ < total) {
        const status = await one();
        if (status !== expect) throw new Error(`unexpected status ${status}`);
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/**
 * Token validations of many distinct tokens, first without and then with the token cache, vs a bare
 * Koa 204; password authentications vs raw scrypt; application-credential vs password authentications;
 * validations of tokens whose role comes through a group vs directly.
 */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-identity-'));
  // The node's clock stands still, so the cache's one second never runs out between the passes:
  // the first pass sees every token for the first time, the later ones only cached views.
  const server = await startIdentityServer(`sqlite:${join(dir, 'identity.sqlite')}`, { stateDir: dir, clock: new SimulatedClock(Date.now()) });
  const api = client(server.url);
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await api.login('demo', DEMO_PASSWORD, 'demo')).token!;

  const bare = new Koa();
  bare.use((ctx) => {
    ctx.status = 204;
  });
  const bareServer = await listen(bare, '127.0.0.1', 0);

  const TOKENS = scaled(5_000, 100);
  const PASSES = 4;
  const C = 32;
  // Distinct tokens of the demo user (the token method: no scrypt), each with its own audit id.
  const rescope = {
    auth: { identity: { methods: ['token'], token: { id: demo } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } },
  };
  const WARM = 500;
  const issued = await inBatches(TOKENS + WARM, C, async () => {
    const r = await api.call('POST', '/v3/auth/tokens?nocatalog', { body: rescope });
    if (r.status !== 201) throw new Error(`token issue answered ${r.status}`);
    return r.headers.get('x-subject-token')!;
  });
  if (new Set(issued).size !== issued.length) throw new Error('issued tokens are not distinct');
  const check = (tokens: string[]) => {
    let next = 0;
    return () => call(`${server.url}/v3/auth/tokens`, 'GET', { 'x-auth-token': admin, 'x-subject-token': tokens[next++ % tokens.length] });
  };
  // Warmed up on tokens of their own, seen and then cached, so the measured ones stay unseen.
  const warm = check(issued.slice(TOKENS));
  await rate(WARM * 2, C, warm, 200);
  const validate = check(issued.slice(0, TOKENS));
  await rate(2_000, C, () => call(`${bareServer.url}/`, 'GET', {}), 204);
  const baseline = await rate(TOKENS * PASSES, C, () => call(`${bareServer.url}/`, 'GET', {}), 204);
  const uncached = await rate(TOKENS, C, validate, 200);
  const cached = await rate(TOKENS * PASSES, C, validate, 200);
  report(
    `token validations, ${count(TOKENS)} distinct tokens each seen once (views not cached; GET /v3/auth/tokens)`,
    uncached,
    'req/s',
    'bare Koa handler answering 204',
    baseline,
  );
  report(
    `token validations, the same ${count(TOKENS)} tokens ${PASSES} times more (views cached; GET /v3/auth/tokens)`,
    cached,
    'req/s',
    'bare Koa handler answering 204',
    baseline,
  );

  // Password authentication is scrypt-bound: both sides run as many at once as libuv has threads.
  const AUTHS = 200;
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const body = JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: DEMO_PASSWORD } } },
      scope: { project: { name: 'demo', domain: { id: 'default' } } },
    },
  });
  const authRate = await rate(
    AUTHS,
    threads,
    () => call(`${server.url}/v3/auth/tokens?nocatalog`, 'POST', { 'content-type': 'application/json' }, body),
    201,
  );
  const salt = randomBytes(16);
  const scryptRate = await rate(
    AUTHS,
    threads,
    async () => {
      await scrypt(DEMO_PASSWORD, salt, SCRYPT.keylen, SCRYPT);
      return 0;
    },
    0,
  );
  report(
    'password authentications (POST /v3/auth/tokens)',
    authRate,
    'auth/s',
    `raw scrypt N=${SCRYPT.N} r=${SCRYPT.r} p=${SCRYPT.p}`,
    scryptRate,
    'hash/s',
  );

  // An application credential's secret is hashed like a password: its authentication costs one scrypt too.
  const demoLogin = await api.login('demo', DEMO_PASSWORD, 'demo');
  const demoId = (demoLogin.body as { token: { user: { id: string } } }).token.user.id;
  const made = await api.call('POST', `/v3/users/${demoId}/application_credentials`, {
    token: demoLogin.token!,
    body: { application_credential: { name: 'bench' } },
  });
  if (made.status !== 201) throw new Error(`application credential create answered ${made.status}`);
  const credential = (made.body as { application_credential: { id: string; secret: string } }).application_credential;
  const appCredBody = JSON.stringify({
    auth: {
      identity: {
        methods: ['application_credential'],
        application_credential: { id: credential.id, secret: credential.secret },
      },
    },
  });
  // Interleaved rounds, so a neighbour's load on the machine falls on both sides alike.
  const authAs = (b: string) => () => call(`${server.url}/v3/auth/tokens?nocatalog`, 'POST', { 'content-type': 'application/json' }, b);
  const ROUNDS = 4;
  let [appCredTime, passwordTime] = [0, 0];
  for (let round = 0; round < ROUNDS; round++) {
    appCredTime += AUTHS / ROUNDS / (await rate(AUTHS / ROUNDS, threads, authAs(appCredBody), 201));
    passwordTime += AUTHS / ROUNDS / (await rate(AUTHS / ROUNDS, threads, authAs(body), 201));
  }
  const [appCredRate, passwordRate] = [AUTHS / appCredTime, AUTHS / passwordTime];
  report(
    'application-credential authentications (POST /v3/auth/tokens)',
    appCredRate,
    'auth/s',
    'password authentications, same run and concurrency',
    passwordRate,
  );

  // Validation of tokens whose role comes through a group vs tokens of a user holding it directly: distinct
  // tokens each seen once (views not cached), one user of each kind on the demo project.
  const adminApi = (method: string, path: string, b?: unknown) => api.call(method, path, { token: admin, body: b });
  const roles = Object.fromEntries(
    ((await adminApi('GET', '/v3/roles')).body as { roles: Array<{ name: string; id: string }> }).roles.map((r) => [r.name, r.id]),
  );
  const project = ((await adminApi('GET', '/v3/projects?name=demo')).body as { projects: Array<{ id: string }> }).projects[0].id;
  const group = ((await adminApi('POST', '/v3/groups', { group: { name: 'bench-group' } })).body as { group: { id: string } }).group.id;
  await adminApi('PUT', `/v3/projects/${project}/groups/${group}/roles/${roles.member}`);
  const tokensOf = async (name: string, grant: (userId: string) => Promise<unknown>) => {
    const user = ((await adminApi('POST', '/v3/users', { user: { name, password: `${name}-pw` } })).body as { user: { id: string } }).user.id;
    await grant(user);
    const first = (await api.login(name, `${name}-pw`, 'demo')).token!;
    const again = { auth: { identity: { methods: ['token'], token: { id: first } }, scope: { project: { id: project } } } };
    return inBatches(TOKENS, C, async () => {
      const r = await api.call('POST', '/v3/auth/tokens?nocatalog', { body: again });
      if (r.status !== 201) throw new Error(`token issue answered ${r.status}`);
      return r.headers.get('x-subject-token')!;
    });
  };
  const direct = await tokensOf('bench-direct', (u) => adminApi('PUT', `/v3/projects/${project}/users/${u}/roles/${roles.member}`));
  const grouped = await tokensOf('bench-grouped', (u) => adminApi('PUT', `/v3/groups/${group}/users/${u}`));
  await rate(WARM, C, check(issued.slice(TOKENS)), 200);
  // Each half of each kind's tokens in turn (direct, grouped, direct, grouped): every token is still seen once.
  const half = Math.floor(TOKENS / 2);
  let [directTime, groupedTime] = [0, 0];
  for (const part of [0, 1]) {
    const slice = (tokens: string[]) => tokens.slice(part * half, part ? TOKENS : half);
    directTime += slice(direct).length / (await rate(slice(direct).length, C, check(slice(direct)), 200));
    groupedTime += slice(grouped).length / (await rate(slice(grouped).length, C, check(slice(grouped)), 200));
  }
  const [directRate, groupedRate] = [TOKENS / directTime, TOKENS / groupedTime];
  report(
    `token validations, role through a group, ${count(TOKENS)} distinct tokens each seen once (GET /v3/auth/tokens)`,
    groupedRate,
    'req/s',
    'the same with the role held directly',
    directRate,
  );

  await bareServer.close();
  await server.stop();
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
