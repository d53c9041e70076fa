import test from 'ava';
import WebSocket from 'ws';
import { OperatorAudit } from '../http/admin/audit.js';
import { eventually } from './helpers/drive.js';
import { bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD } from './helpers/identity.js';

// The inspector's JSON API, sign-in, CSRF protection, audit and change stream on a whole cloud (real clock: the
// stream's batches run on it). Instance actors passivate after 1.5 s idle, so passivated ones are found from rows.
let c: ComputeCloud;
let base: string;
let web: string;

test.before(async () => {
  c = await startComputeCloud('inspector-api', {
    libvirt: { hosts: [{ name: 'compute-1', memoryMb: 8192 }] },
    passivation: { sweepMs: 200, instanceMs: 1_500 },
    inspector: { batchMs: 100 },
  });
  base = c.cloud.inspector!.url.replace(/\/$/, '');
  web = await bootActive(c, c.admin, 'web-frontend-1');
});
test.after.always(async () => {
  await c?.stop();
});

async function api(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${base}/api/${path}`, { method, headers });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}
const error = (code: number, title: string, message: string) => ({ error: { code, title, message } });
const signIn = async (fields: Record<string, string>, headers: Record<string, string> = {}) => {
  const r = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(fields),
  });
  return { status: r.status, body: await r.json() };
};

test.serial('the page is served on the compute API’s port as plain modules, with a strict content policy', async (t) => {
  t.is(new URL(base).port, new URL(c.cloud.compute!.url).port);
  const page = await fetch(`${base}/`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type')!, /^text\/html/);
  t.regex(page.headers.get('content-security-policy')!, /script-src 'self'/);
  const html = await page.text();
  t.regex(html, /<script type="module" src="inspector.js">/);
  t.notRegex(html, /https?:\/\//, 'nothing from a CDN');
  const js = await fetch(`${base}/inspector.js`);
  t.regex(js.headers.get('content-type')!, /^text\/javascript/);
  const redirect = await fetch(base, { redirect: 'manual' });
  t.is(redirect.status, 302);
  t.is(new URL(redirect.headers.get('location')!, base).pathname, '/inspector/');
  // The compute API beside it is untouched.
  t.is((await fetch(`${c.cloud.compute!.url}/v2.1/servers`, { headers: { 'x-auth-token': c.admin } })).status, 200);
});

test.serial('sign-in: an admin’s password or token gets a session with its CSRF value; a member is 403, a wrong password 401', async (t) => {
  const byPassword = await signIn({ user: 'admin', password: ADMIN_PASSWORD, project: 'admin' });
  t.is(byPassword.status, 201);
  t.truthy(byPassword.body.session.token);
  t.truthy(byPassword.body.session.csrf);
  const byToken = await signIn({ token: c.admin });
  t.is(byToken.status, 201);
  t.is(byToken.body.session.token, c.admin);
  t.deepEqual(await signIn({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' }), {
    status: 403,
    body: error(403, 'Forbidden', 'You are not authorized to perform the requested action: the admin role is required.'),
  });
  t.deepEqual(await signIn({ user: 'admin', password: 'wrong', project: 'admin' }), {
    status: 401,
    body: error(401, 'Unauthorized', 'The request you have made requires authentication.'),
  });
  t.deepEqual(await signIn({ token: c.admin }, { origin: 'http://evil.example' }), {
    status: 403,
    body: error(403, 'Forbidden', 'Cross-origin request refused'),
  });
});

test.serial('the JSON API is the admin API’s: admin only, Keystone-style refusals', async (t) => {
  t.deepEqual(await api('GET', 'tree'), { status: 401, body: error(401, 'Unauthorized', 'The request you have made requires authentication.') });
  t.deepEqual(await api('GET', 'actors', { 'x-auth-token': c.demo }), {
    status: 403,
    body: error(403, 'Forbidden', 'You are not authorized to perform the requested action: the admin role is required.'),
  });
  t.deepEqual(await api('GET', 'actors?q=%25%25', { 'x-auth-token': c.admin }), {
    status: 400,
    body: error(400, 'Bad Request', 'q must be 1 to 64 letters, digits, spaces or . _ : -'),
  });
  t.deepEqual(await api('GET', 'actors?state=asleep', { 'x-auth-token': c.admin }), {
    status: 400,
    body: error(400, 'Bad Request', 'state must be one of loading, ready, restarting, failed, stale, stopped, passivated'),
  });
  const tree = await api('GET', 'tree', { 'x-auth-token': c.admin });
  t.is(tree.status, 200);
  const [node] = tree.body.nodes;
  t.like(node, { id: c.config.nodeId, self: true, status: 'up' });
  const hosts = Object.values(node.supervisors as Record<string, Record<string, Record<string, number>>>).find((k) => k.host)!.host;
  t.is(hosts.ready, 1);
  t.deepEqual(tree.body.consoles, [], 'no console proxy on this node, so no sessions');
  // The same route on the admin port.
  t.is((await fetch(`${c.cloud.admin.url}/v1/tree`, { headers: { 'x-auth-token': c.admin } })).status, 200);
});

test.serial('search: an instance actor found by its server’s name or UUID, and when passivated, from its row', async (t) => {
  const byName = await api('GET', 'actors?q=FRONTEND-1', { 'x-auth-token': c.admin });
  t.is(byName.status, 200);
  t.true(
    byName.body.actors.some((a: any) => a.kind === 'instance' && a.id === web),
    JSON.stringify(byName.body),
  );
  const byUuid = await api('GET', `actors?q=${web.slice(0, 8)}&kind=instance`, { 'x-auth-token': c.admin });
  t.true(byUuid.body.actors.some((a: any) => a.id === web));
  // Idle, it passivates: found as passivated, and its detail comes from its row.
  await eventually(() => !c.cloud.node.isActive({ kind: 'instance', id: web }), 20_000);
  const passivated = await api('GET', 'actors?state=passivated&kind=instance', { 'x-auth-token': c.admin });
  t.like(
    passivated.body.actors.find((a: any) => a.id === web),
    { kind: 'instance', status: 'passivated' },
  );
  t.true(passivated.body.counts['-'].instance.passivated >= 1);
  const detail = await api('GET', `actors/instance/${web}`, { 'x-auth-token': c.admin });
  t.is(detail.status, 200);
  t.like(detail.body.actor, { kind: 'instance', id: web, status: 'passivated' });
  t.deepEqual(detail.body.crashes, []);
  const paged = await api('GET', 'actors?kind=host&offset=0&limit=5', { 'x-auth-token': c.admin });
  t.is(paged.body.total, 1);
  t.like(paged.body.counts[c.config.nodeId].host, { ready: 1 });
});

test.serial('actions need the session’s CSRF value and this origin; taken ones and refused ones are audited', async (t) => {
  const { body } = await signIn({ token: c.admin });
  const csrf = body.session.csrf as string;
  const target = `actors/host/compute-1/restart`;
  t.deepEqual(await api('POST', target, { 'x-auth-token': c.admin }), {
    status: 403,
    body: error(403, 'Forbidden', 'Missing or wrong X-CSRF-Token'),
  });
  t.deepEqual(await api('POST', target, { 'x-auth-token': c.admin, 'x-csrf-token': `${csrf.slice(1)}x` }), {
    status: 403,
    body: error(403, 'Forbidden', 'Missing or wrong X-CSRF-Token'),
  });
  t.deepEqual(await api('POST', target, { 'x-auth-token': c.admin, 'x-csrf-token': csrf, origin: 'http://evil.example' }), {
    status: 403,
    body: error(403, 'Forbidden', 'Cross-origin request refused'),
  });
  const restarted = await api('POST', target, { 'x-auth-token': c.admin, 'x-csrf-token': csrf, origin: new URL(base).origin });
  t.is(restarted.status, 202);
  const missing = await api('DELETE', 'dead-letters/no-such-letter', { 'x-auth-token': c.admin, 'x-csrf-token': csrf });
  t.is(missing.status, 404);
  const audit = await api('GET', 'audit?limit=10', { 'x-auth-token': c.admin });
  t.is(audit.status, 200);
  t.like(
    audit.body.audit.find((a: any) => a.action === 'actor.restart'),
    { user_name: 'admin', target: 'host/compute-1', result: 'accepted' },
  );
  t.like(
    audit.body.audit.find((a: any) => a.action === 'dead-letter.drop'),
    { target: 'no-such-letter', result: 'refused' },
  );
  // The admin port audits too, and lists the same table.
  const viaAdmin = await fetch(`${c.cloud.admin.url}/v1/audit?action=actor.restart`, { headers: { 'x-auth-token': c.admin } });
  t.true((await viaAdmin.json()).audit.length >= 1);
});

test.serial(
  'compute services: disabled and enabled from the inspector as os-services does it, CSRF-protected and audited; os-services’ change shows here',
  async (t) => {
    const { body } = await signIn({ token: c.admin });
    const csrf = body.session.csrf as string;
    const post = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}/api/${path}`, {
        method: 'POST',
        headers: { 'x-auth-token': c.admin, 'x-csrf-token': csrf, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(payload),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const novaService = async () => (await c.nova.call('GET', '/v2.1/os-services?binary=nova-compute', { token: c.admin })).body.services[0];

    const listed = await api('GET', 'services', { 'x-auth-token': c.admin });
    t.is(listed.status, 200);
    t.like(
      listed.body.services.find((x: any) => x.host === 'compute-1'),
      { disabled: false, disabled_reason: null },
    );

    // Without the session's CSRF value: refused, nothing changes.
    t.deepEqual(await post('services/compute-1/disable', {}, { 'x-csrf-token': '' }), {
      status: 403,
      body: error(403, 'Forbidden', 'Missing or wrong X-CSRF-Token'),
    });
    t.is((await novaService()).status, 'enabled');

    const disabled = await post('services/compute-1/disable', { reason: 'firmware update' });
    t.is(disabled.status, 200);
    t.like(disabled.body.service, { host: 'compute-1', disabled: true, disabled_reason: 'firmware update' });
    // Nova's API sees the same row: the change went through the host actor, as os-services' does.
    t.like(await novaService(), { host: 'compute-1', status: 'disabled', disabled_reason: 'firmware update' });

    const enabled = await post('services/compute-1/enable', {});
    t.is(enabled.status, 200);
    t.like(enabled.body.service, { disabled: false, disabled_reason: null });
    t.like(await novaService(), { status: 'enabled', disabled_reason: null });

    // And the other way: os-services disables, the inspector lists it.
    const viaNova = await c.nova.call('PUT', '/v2.1/os-services/disable-log-reason', {
      token: c.admin,
      body: { host: 'compute-1', binary: 'nova-compute', disabled_reason: 'from nova' },
    });
    t.is(viaNova.status, 200);
    t.like((await api('GET', 'services', { 'x-auth-token': c.admin })).body.services[0], { disabled: true, disabled_reason: 'from nova' });
    t.is((await post('services/compute-1/enable', {})).status, 200);

    // Refusals, each in the admin API's body.
    t.deepEqual(await post('services/no-such-host/disable', {}), {
      status: 404,
      body: error(404, 'Not Found', "Host 'no-such-host' is not mapped to any cell"),
    });
    t.deepEqual(await post('services/compute-1/disable', { reason: 'x'.repeat(256) }), {
      status: 400,
      body: error(400, 'Bad Request', 'reason must be a string of at most 255 characters'),
    });
    t.deepEqual(await post('services/compute-1/disable', ['reason']), {
      status: 400,
      body: error(400, 'Bad Request', 'The body is a JSON object: {"reason": …}'),
    });
    const member = await fetch(`${c.cloud.admin.url}/v1/services/compute-1/disable`, { method: 'POST', headers: { 'x-auth-token': c.demo } });
    t.is(member.status, 403);
    t.like(await member.json(), { error: { code: 403, title: 'Forbidden' } });
    t.is((await novaService()).status, 'enabled');

    const audit = (await api('GET', 'audit?limit=50', { 'x-auth-token': c.admin })).body.audit as any[];
    t.like(
      audit.find((a) => a.action === 'service.disable' && a.result === 'accepted'),
      { user_name: 'admin', target: 'compute-1' },
    );
    t.like(
      audit.find((a) => a.action === 'service.enable'),
      { user_name: 'admin', target: 'compute-1', result: 'accepted' },
    );
    t.like(
      audit.find((a) => a.action === 'service.disable' && a.target === 'no-such-host'),
      { result: 'refused' },
    );
  },
);

test.serial('the audit keeps entries for the retention only', async (t) => {
  let now = Date.now();
  const audit = new OperatorAudit(c.cloud.db.models, () => now);
  await audit.record({ userId: 'someone', action: 'node.drain', target: 'old-node', result: 'accepted' });
  now += 2 * 86_400_000;
  t.true((await audit.prune(86_400_000)) >= 1);
  t.false((await audit.list({ limit: 100, action: 'node.drain' })).some((e) => e.target === 'old-node'));
});

/** A stream client: its messages in order, and how it closed. */
function openStream(headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/stream`, { headers });
  const messages: any[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
    ws.on('error', reject);
  });
  return { ws, messages, closed, opened };
}

test.serial(
  'the stream: a foreign Origin is refused at the upgrade; a forged token, a member’s and none at all after the first message',
  async (t) => {
    const foreign = openStream({ origin: 'http://evil.example' });
    const refused = await t.throwsAsync(foreign.opened);
    t.is((refused as any).status, 403);

    const forged = openStream({ origin: new URL(base).origin });
    await forged.opened;
    forged.ws.send(JSON.stringify({ type: 'auth', token: 'gAAAAAforged' }));
    t.like(await forged.closed, { code: 4401 });
    t.like(forged.messages[0], { type: 'error', code: 401 });

    const member = openStream();
    await member.opened;
    member.ws.send(JSON.stringify({ type: 'auth', token: c.demo }));
    t.like(await member.closed, { code: 4403 });
    t.like(member.messages[0], { type: 'error', code: 403 });

    const noAuth = openStream();
    await noAuth.opened;
    noAuth.ws.send(JSON.stringify({ type: 'view', offset: 0, limit: 10 }));
    t.like(await noAuth.closed, { code: 4401 });
  },
);

test.serial(
  'the stream: batches with rising sequence numbers, counts per node and kind, the window asked for, and changes as they happen',
  async (t) => {
    const s = openStream({ origin: new URL(base).origin });
    await s.opened;
    s.ws.send(JSON.stringify({ type: 'auth', token: c.admin }));
    await eventually(() => s.messages.some((m) => m.type === 'batch'), 10_000);
    t.like(s.messages[0], { type: 'ready', batch_ms: 100 });
    s.ws.send(JSON.stringify({ type: 'view', kind: 'host', offset: 0, limit: 10 }));
    await eventually(() => s.messages.some((m) => m.type === 'batch' && m.view.kind === 'host'), 10_000);
    const batch = [...s.messages].reverse().find((m) => m.type === 'batch' && m.view.kind === 'host');
    t.is(batch.total, 1);
    t.like(batch.actors[0], { kind: 'host', id: 'compute-1', node: c.config.nodeId });
    t.like(batch.counts[c.config.nodeId].host, { ready: 1 });
    s.ws.send(JSON.stringify({ type: 'view', offset: 0, limit: 1_000 }));
    await eventually(() => s.messages.some((m) => m.type === 'error' && m.code === 400), 10_000);
    // A change: the instance actor comes back (activated) for a server read through the API.
    const seen = s.messages.length;
    await c.nova.call('POST', `/v2.1/servers/${web}/action`, { token: c.admin, body: { 'os-stop': null } });
    await eventually(() => s.messages.slice(seen).some((m) => m.type === 'batch' && m.events.some((e: any) => e.id === web)), 10_000);
    const seqs = s.messages.filter((m) => m.type === 'batch').map((m) => m.seq);
    t.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      'one sequence, no gaps',
    );
    t.is(c.cloud.inspector!.stream.lastSeq() >= seqs.at(-1), true);
    s.ws.close();
    await s.closed;
  },
);
