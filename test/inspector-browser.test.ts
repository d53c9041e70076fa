import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { openDatabase } from '../models/database.js';
import { eventually } from './helpers/drive.js';
import { createTestDatabase, onPostgres, type TestDatabase } from './helpers/database.js';
import { holdMachineLock } from './helpers/machine-lock.js';
import { freePort, startCloudProcess, type CloudProcess } from './helpers/cloud-process.js';
import { startRedisServer } from './helpers/redis-server.js';
import { stopLeftoverHypervisors } from './helpers/test-cloud.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD } from './helpers/identity.js';
import { bootActive, startComputeCloud, TINY_IMAGE_ID } from './helpers/compute.js';

// The inspector in Chromium (playwright-core driving Debian's chromium) on a three-node cluster of processes: an
// api+scheduler node and two compute nodes sharing PostgreSQL and Redis. The PostgreSQL pass only (SQLite is one
// process's database), holding the machine lock. Screenshots go to the test's tmp dir, named in the log.

const run = onPostgres() ? test.serial : test.serial.skip;
const WAIT_MS = 60_000;

interface Node {
  readonly id: string;
  readonly cloud: CloudProcess;
  readonly nova: string;
  readonly admin: string;
  readonly identity: string;
  readonly stateDir: string;
}

let dir = '';
let shots = '';
let database: TestDatabase | undefined;
let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
let browser: Browser | undefined;
let release = () => {};
const nodes: Node[] = [];

async function startNode(id: string, roles: string, extra: Record<string, string> = {}): Promise<Node> {
  const ports = {
    identity: await freePort(),
    image: await freePort(),
    network: await freePort(),
    compute: await freePort(),
    admin: await freePort(),
  };
  const stateDir = join(dir, id);
  const cloud = await startCloudProcess({
    STRATUS_NODE_ID: id,
    STRATUS_ROLES: roles,
    DATABASE_URL: database!.url,
    REDIS_URL: redis!.url,
    STRATUS_REDIS_KEY_PREFIX: 'inspector:',
    STRATUS_STATE_DIR: stateDir,
    STRATUS_LISTEN_OPS: '0',
    STRATUS_LISTEN_IDENTITY: String(ports.identity),
    STRATUS_LISTEN_IMAGE: String(ports.image),
    STRATUS_LISTEN_NETWORK: String(ports.network),
    STRATUS_LISTEN_COMPUTE: String(ports.compute),
    STRATUS_LISTEN_ADMIN: String(ports.admin),
    STRATUS_IDENTITY_CLOUDS_YAML: join(dir, `${id}-clouds.yaml`),
    STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    STRATUS_DEMO_PASSWORD: DEMO_PASSWORD,
    STRATUS_CLUSTER_LEASE_MS: '1500',
    STRATUS_CLUSTER_SWEEP_MS: '200',
    STRATUS_TIMEOUTS_REPORT_INTERVAL_MS: '300',
    STRATUS_INSPECTOR_BATCH_MS: '250',
    // A crashing message is dead-lettered within a second, for the retry from the page.
    STRATUS_SUPERVISION_BACKOFF_BASE_MS: '50',
    STRATUS_LOG_LEVEL: 'info',
    ...extra,
  });
  const node = {
    id,
    cloud,
    nova: `http://127.0.0.1:${ports.compute}`,
    admin: `http://127.0.0.1:${ports.admin}`,
    identity: `http://127.0.0.1:${ports.identity}`,
    stateDir,
  };
  nodes.push(node);
  return node;
}

test.before(async () => {
  if (!onPostgres()) return;
  release = await holdMachineLock();
  dir = mkdtempSync(join(tmpdir(), 'stratus-inspector-'));
  shots = join(dir, 'screenshots');
  mkdirSync(shots);
  database = await createTestDatabase('inspector-browser');
  redis = await startRedisServer();
});

test.after.always(async () => {
  await browser?.close();
  for (const n of nodes) if (n.cloud.child.exitCode === null && n.cloud.child.signalCode === null) n.cloud.child.kill('SIGKILL');
  // The screenshots stay (test artifacts); the nodes' state goes.
  for (const n of nodes) {
    await stopLeftoverHypervisors(n.stateDir);
    rmSync(n.stateDir, { recursive: true, force: true });
  }
  await redis?.destroy();
  await database?.drop();
  release();
});

async function token(nova: Node, user: string, password: string, project: string): Promise<string> {
  const r = await fetch(`${nova.nova}/inspector/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password, project }),
  });
  const body = await r.json();
  return body.session?.token;
}

async function boot(api: Node, admin: string, name: string): Promise<string> {
  const r = await fetch(`${api.nova}/v2.1/servers`, {
    method: 'POST',
    headers: { 'x-auth-token': admin, 'content-type': 'application/json' },
    body: JSON.stringify({ server: { name, imageRef: TINY_IMAGE_ID, flavorRef: '1' } }),
  });
  if (r.status !== 202) throw new Error(`boot: ${r.status} ${await r.text()}`);
  return (await r.json()).server.id;
}

async function adminGet(node: Node, token: string, path: string): Promise<any> {
  const r = await fetch(`${node.admin}/v1/${path}`, { headers: { 'x-auth-token': token } });
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function novaCall(node: Node, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${node.nova}/v2.1/${path}`, {
    method,
    headers: { 'x-auth-token': token, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** Instance actors live on a node, by the admin API's cluster-wide list. */
async function instancesOn(api: Node, token: string, node: string): Promise<string[]> {
  const { actors } = await adminGet(api, token, `actors?kind=instance&node=${node}&limit=1000`);
  return (actors as Array<{ id: string; node: string }>).filter((a) => a.node === node).map((a) => a.id);
}

async function signInOnPage(page: Page, user: string, password: string, project: string): Promise<void> {
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Project').fill(project);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const shot = async (page: Page, name: string) => {
  await page.screenshot({ path: join(shots, `${name}.png`) });
};

run(
  'an admin signs in on a three-node cluster and sees nodes, servers’ actors, a node killed turning down, and audited actions; a member is refused',
  async (t) => {
    // Where the time goes, in the log (the file is to stay within 4 minutes in CI).
    const began = Date.now();
    const phase = (name: string) => t.log(`${name}: ${((Date.now() - began) / 1000).toFixed(1)} s`);
    const api = await startNode('node-a', 'api,scheduler');
    await startNode('node-b', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'b' });
    await startNode('node-c', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'c' });
    const admin = await token(api, 'admin', ADMIN_PASSWORD, 'admin');
    t.truthy(admin);
    const servers = [await boot(api, admin, 'shown-1'), await boot(api, admin, 'shown-2')];

    phase('cluster up, servers booted');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // Confirmations are accepted; the prompt for a disabled service's reason gets one.
    page.on('dialog', (d) => void (d.type() === 'prompt' ? d.accept('maintenance window') : d.accept()));
    page.on('pageerror', (e) => t.log(`page error: ${e.message}`));
    // What the page showed when a step failed: a screenshot of it.
    t.teardown(() =>
      page.screenshot({ path: join(shots, 'last.png') }).then(
        () => undefined,
        () => undefined,
      ),
    );

    // A member: the page refuses the sign-in with the server's 403 message.
    await page.goto(`${api.nova}/inspector/`);
    await signInOnPage(page, 'demo', DEMO_PASSWORD, 'demo');
    await page.getByRole('alert').filter({ hasText: 'the admin role is required' }).waitFor({ timeout: WAIT_MS });
    await shot(page, '1-member-refused');

    await signInOnPage(page, 'admin', ADMIN_PASSWORD, 'admin');
    // Three nodes, up, with the host actors of the compute nodes in their trees.
    for (const id of ['node-a', 'node-b', 'node-c'])
      await page.locator(`#nodes tr[data-node="${id}"][data-status="up"]`).waitFor({ timeout: WAIT_MS });
    await page.locator('#nodes tr[data-node="node-b"]').filter({ hasText: 'host' }).waitFor({ timeout: WAIT_MS });
    t.regex((await page.locator('#nodes tr[data-node="node-a"]').textContent())!, /api, scheduler/);
    // The servers just booted: their instance actors, found by name.
    await page.getByLabel('Search').fill('shown-');
    for (const id of servers) await page.locator(`[data-actor="instance/${id}"]`).waitFor({ timeout: WAIT_MS });
    const seq = Number(await page.locator('#seq').textContent());
    t.true(seq >= 1);
    await shot(page, '2-servers-found');

    // Stopping an actor from the page: confirmed, done, audited.
    // Live when it is stopped: a passivated actor has nothing to stop (404), and a slow start may have let it
    // passivate; a rename wakes it on its owner.
    t.is((await novaCall(api, admin, 'PUT', `servers/${servers[0]}`, { server: { name: 'shown-1' } })).status, 200);
    await page.locator(`[data-actor="instance/${servers[0]}"].status-ready`).waitFor({ timeout: WAIT_MS });
    await page.locator(`[data-actor="instance/${servers[0]}"]`).click();
    await page.locator('#detail-title').filter({ hasText: servers[0] }).waitFor();
    await page.locator('#detail-actions').getByRole('button', { name: 'Stop' }).click();
    await page.locator('#audit tbody tr').filter({ hasText: 'actor.stop' }).filter({ hasText: servers[0] }).waitFor({ timeout: WAIT_MS });
    t.regex((await page.locator('#audit tbody tr').filter({ hasText: 'actor.stop' }).first().textContent())!, /admin.*accepted/);
    await shot(page, '3-stopped-and-audited');

    phase('signed in, stopped an actor');
    // A compute service disabled (with the reason asked for) and enabled again from the page: Nova's os-services
    // shows the same state, and both actions are audited.
    const { services } = await adminGet(api, admin, 'services');
    const cHost = (services as Array<{ host: string }>).find((x) => x.host.startsWith('c'))!.host;
    const serviceRow = page.locator(`#services tr[data-host="${cHost}"]`);
    await serviceRow.getByRole('button', { name: 'Disable' }).click();
    await page
      .locator(`#services tr[data-host="${cHost}"][data-service="disabled"]`)
      .filter({ hasText: 'maintenance window' })
      .waitFor({ timeout: WAIT_MS });
    const novaService = async () => (await novaCall(api, admin, 'GET', `os-services?host=${cHost}&binary=nova-compute`)).body.services[0];
    t.like(await novaService(), { host: cHost, status: 'disabled', disabled_reason: 'maintenance window' });
    await page
      .locator('#audit tbody tr')
      .filter({ hasText: 'service.disable' })
      .filter({ hasText: cHost })
      .filter({ hasText: 'accepted' })
      .waitFor({ timeout: WAIT_MS });
    await shot(page, '3a-service-disabled');
    await serviceRow.getByRole('button', { name: 'Enable' }).click();
    await page.locator(`#services tr[data-host="${cHost}"][data-service="enabled"]`).waitFor({ timeout: WAIT_MS });
    t.like(await novaService(), { status: 'enabled', disabled_reason: null });
    await page
      .locator('#audit tbody tr')
      .filter({ hasText: 'service.enable' })
      .filter({ hasText: cHost })
      .filter({ hasText: 'accepted' })
      .waitFor({ timeout: WAIT_MS });

    phase('service disabled and enabled');
    // A delete whose release crashes (a directory where the save file goes) is dead-lettered on its host; once the
    // fault is gone, Retry in the host actor's panel sends it again under its original id: audited, handled once.
    const lettered = await boot(api, admin, 'lettered');
    await eventually(async () => (await novaCall(api, admin, 'GET', `servers/${lettered}`)).body.server.status === 'ACTIVE', WAIT_MS);
    const letteredHost = (await novaCall(api, admin, 'GET', `servers/${lettered}`)).body.server['OS-EXT-SRV-ATTR:host'] as string;
    const holder = nodes.find((n) => n.id === (letteredHost.startsWith('b') ? 'node-b' : 'node-c'))!;
    const block = join(holder.stateDir, 'saved', letteredHost, `${lettered}.save`);
    mkdirSync(block, { recursive: true });
    writeFileSync(join(block, 'keep'), 'x');
    t.is((await novaCall(api, admin, 'DELETE', `servers/${lettered}`)).status, 204);
    let letter: { id: string } | undefined;
    await eventually(async () => {
      const { dead_letters: letters } = await adminGet(api, admin, `dead-letters?kind=host&id=${letteredHost}`);
      letter = (letters as Array<{ id: string; payload: { instance_uuid?: string } }>).find((d) => d.payload.instance_uuid === lettered);
      return letter !== undefined;
    }, WAIT_MS);
    rmSync(block, { recursive: true, force: true });
    await page.getByLabel('Search').fill('');
    await page.locator('#filters select[name="kind"]').selectOption('host');
    await page.locator(`[data-actor="host/${letteredHost}"]`).click();
    const letterItem = page.locator(`#detail-letters li[data-letter="${letter!.id}"]`);
    await letterItem.waitFor({ timeout: WAIT_MS });
    await shot(page, '3b-dead-letter');
    await letterItem.getByRole('button', { name: 'Retry' }).click();
    await page
      .locator('#audit tbody tr')
      .filter({ hasText: 'dead-letter.retry' })
      .filter({ hasText: letter!.id })
      .filter({ hasText: 'accepted' })
      .waitFor({ timeout: WAIT_MS });
    await eventually(async () => (await novaCall(api, admin, 'GET', `servers/${lettered}`)).status === 404, WAIT_MS);
    // Delivered once: one inbox row under the letter's own id, handled; the letter is gone, so a second retry is 404.
    const db = await openDatabase(database!.url);
    try {
      const rows = await db.models.Inbox.findAll({ where: { id: letter!.id }, raw: true });
      t.is(rows.length, 1);
      t.like(rows[0], { kind: 'host', actor_id: letteredHost, ok: true });
    } finally {
      await db.close();
    }
    const again = await fetch(`${api.admin}/v1/dead-letters/${letter!.id}/retry`, { method: 'POST', headers: { 'x-auth-token': admin } });
    t.is(again.status, 404);
    t.deepEqual(await again.json(), { error: { code: 404, title: 'Not Found', message: `Dead letter ${letter!.id} not found` } });
    await letterItem.waitFor({ state: 'detached', timeout: WAIT_MS });
    await page.locator('#detail-close').click();
    await page.locator('#filters select[name="kind"]').selectOption('');
    await page.getByLabel('Search').fill('shown-');

    phase('dead letter retried');
    // Instance actors (movable) that node-b holds: booted until there is one, as their owner is by hashing.
    // Only the servers the page's search shows ('lettered', deleted, may still have a live actor there).
    const shown = [...servers];
    const heldByB = async () => (await instancesOn(api, admin, 'node-b')).filter((id) => shown.includes(id));
    let moving = await heldByB();
    for (let i = 0; moving.length === 0 && i < 10; i++) {
      const more = await boot(api, admin, `shown-more-${i}`);
      shown.push(more);
      await eventually(async () => (await novaCall(api, admin, 'GET', `servers/${more}`)).body.server.status === 'ACTIVE', WAIT_MS);
      moving = await heldByB();
    }
    t.true(moving.length > 0, 'node-b holds instance actors');
    for (const id of moving) await page.locator(`[data-actor="instance/${id}"][data-node="node-b"]`).waitFor({ timeout: WAIT_MS });

    phase('node-b holds instance actors');
    // Killed with kill -9: the page shows it down, without a reload.
    const b = nodes.find((n) => n.id === 'node-b')!;
    b.cloud.child.kill('SIGKILL');
    await page.locator('#nodes tr[data-node="node-b"][data-status="down"]').waitFor({ timeout: WAIT_MS });
    t.true(Number(await page.locator('#seq').textContent()) > seq, 'updates kept coming');
    await shot(page, '4-node-down');
    // Its instance actors come back on a survivor with their next message (a rename here), shown there live.
    for (const id of moving) {
      await eventually(
        async () => (await novaCall(api, admin, 'PUT', `servers/${id}`, { server: { name: `shown-moved-${id.slice(0, 8)}` } })).status === 200,
        WAIT_MS,
      );
      await page
        .locator(`[data-actor="instance/${id}"][data-node="node-a"], [data-actor="instance/${id}"][data-node="node-c"]`)
        .waitFor({ timeout: WAIT_MS });
    }
    await shot(page, '4b-actors-moved');

    phase('node-b down, its actors on survivors');
    // Draining a node from the page: audited.
    await page.locator('#nodes tr[data-node="node-c"]').getByRole('button', { name: 'Drain' }).click();
    await page.locator('#audit tbody tr').filter({ hasText: 'node.drain' }).filter({ hasText: 'node-c' }).waitFor({ timeout: WAIT_MS });
    await page.locator('#nodes tr[data-node="node-c"][data-status="draining"]').waitFor({ timeout: WAIT_MS });
    await shot(page, '5-drained');
    t.log(`screenshots in ${shots}`);
    await context.close();
  },
);

/** A stream client of node-a's inspector: its messages, how it closed, or the refusal of its upgrade. */
function openStream(node: Node, origin: string) {
  const ws = new WebSocket(`${node.nova.replace(/^http/, 'ws')}/inspector/stream`, { headers: { origin } });
  const messages: any[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error('refused'), { status: res.statusCode, body })));
    });
    ws.on('error', reject);
  });
  return { ws, messages, closed, opened };
}

run('on the cluster’s stream, a foreign Origin, a forged token and an expired token are refused with their reasons', async (t) => {
  const api = nodes.find((n) => n.id === 'node-a');
  if (!api) return t.fail('the cluster test did not start node-a');
  const origin = new URL(api.nova).origin;

  const foreign = openStream(api, 'http://evil.example');
  const refused = await t.throwsAsync<Error & { status: number; body: string }>(foreign.opened);
  t.is(refused.status, 403);
  t.deepEqual(JSON.parse(refused.body), { error: { code: 403, title: 'Forbidden', message: 'Cross-origin WebSocket refused' } });

  const forged = openStream(api, origin);
  await forged.opened;
  forged.ws.send(JSON.stringify({ type: 'auth', token: 'gAAAAABforgedtokenforgedtoken' }));
  t.like(await forged.closed, { code: 4401 });
  t.deepEqual(forged.messages, [{ type: 'error', code: 401, message: 'The request you have made requires authentication.' }]);

  // An expired token: the admin's own, issued through an application credential that expires a few seconds on.
  const admin = await token(api, 'admin', ADMIN_PASSWORD, 'admin');
  const me = await fetch(`${api.identity}/v3/auth/tokens`, { headers: { 'x-auth-token': admin, 'x-subject-token': admin } });
  const userId = (await me.json()).token.user.id as string;
  const made = await fetch(`${api.identity}/v3/users/${userId}/application_credentials`, {
    method: 'POST',
    headers: { 'x-auth-token': admin, 'content-type': 'application/json' },
    body: JSON.stringify({ application_credential: { name: 'short-lived', expires_at: new Date(Date.now() + 4_000).toISOString() } }),
  });
  t.is(made.status, 201);
  const credential = (await made.json()).application_credential as { id: string; secret: string };
  const issued = await fetch(`${api.identity}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['application_credential'], application_credential: credential } } }),
  });
  t.is(issued.status, 201);
  const shortLived = issued.headers.get('x-subject-token')!;
  // Accepted while valid: the same token is then refused only for having expired.
  const valid = openStream(api, origin);
  await valid.opened;
  valid.ws.send(JSON.stringify({ type: 'auth', token: shortLived }));
  await eventually(() => valid.messages.some((m) => m.type === 'ready'), WAIT_MS);
  valid.ws.close();
  await eventually(async () => (await fetch(`${api.nova}/inspector/api/nodes`, { headers: { 'x-auth-token': shortLived } })).status === 401, WAIT_MS);
  const expired = openStream(api, origin);
  await expired.opened;
  expired.ws.send(JSON.stringify({ type: 'auth', token: shortLived }));
  t.like(await expired.closed, { code: 4401 });
  t.deepEqual(expired.messages, [{ type: 'error', code: 401, message: 'The request you have made requires authentication.' }]);
});

run('an actor made to crash shows its restart count and crash reason change live, without a reload', async (t) => {
  // In this process, on the real clock: a directory where the host removes a deleted server's save file makes its
  // release crash (EISDIR) on every attempt, as a filesystem fault would.
  const c = await startComputeCloud('inspector-crash', {
    libvirt: { hosts: [{ name: 'compute-1', memoryMb: 8192 }] },
    supervision: { maxRestarts: 50, withinMs: 60_000, maxMessageAttempts: 3, backoffBaseMs: 100 },
    inspector: { batchMs: 250 },
  });
  t.teardown(() => c.stop());
  const id = await bootActive(c, c.admin, 'doomed');
  browser ??= await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.on('pageerror', (e) => t.log(`page error: ${e.message}`));
  await page.goto(c.cloud.inspector!.url);
  await page.getByLabel('Existing token').fill(c.admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('select[name="kind"] option', { hasText: 'host' }).waitFor({ state: 'attached', timeout: WAIT_MS });
  await page.locator('#filters select[name="kind"]').selectOption('host');
  const row = page.locator('[data-actor="host/compute-1"]');
  await row.waitFor({ timeout: WAIT_MS });
  t.is((await row.locator('.restarts').textContent())?.trim(), '0');
  const seq = Number(await page.locator('#seq').textContent());
  await shot(page, '6-before-crash');

  const block = join(c.config.stateDir, 'saved', 'compute-1', `${id}.save`);
  mkdirSync(block, { recursive: true });
  writeFileSync(join(block, 'keep'), 'x');
  const del = await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.admin });
  t.is(del.status, 204);
  // The same page, never reloaded: the row's restarts rise and its last crash says why.
  await page.waitForFunction(() => Number(document.querySelector('[data-actor="host/compute-1"] .restarts')?.textContent) >= 1, undefined, {
    timeout: WAIT_MS,
  });
  await row
    .locator('.crash')
    .filter({ hasText: /EISDIR|is a directory/i })
    .waitFor({ timeout: WAIT_MS });
  t.true(Number(await page.locator('#seq').textContent()) > seq);
  await shot(page, '7-crashed-live');
  rmSync(block, { recursive: true, force: true });
});
