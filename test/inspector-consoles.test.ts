import test from 'ava';
import { WebSocket } from 'ws';
import { SimulatedClock } from '../runtime/clock.js';
import { silentLogger } from '../runtime/logger.js';
import { ByteQueue } from '../http/console/byte-queue.js';
import { FailedTokens } from '../http/console/failed-tokens.js';
import { startConsoleProxy, type ConsoleProxy } from '../http/console/proxy.js';
import { issueToken } from '../services/consoles/tokens.js';
import { bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { ref } from '../runtime/ref.js';
import { serverInit, startStandIn, type StandIn } from './helpers/rfb-standin.js';

// The inspector's console sessions: the cloud's own node-local session registry (bin/cloud.ts wires it to the
// admin API), fed by a noVNC proxy opened on that registry against the RFB stand-in. The proxy's guest endpoint is
// the stand-in's address, not the host actor's answer: the test driver's guests have no consoles to point at.

const PASSWORD = 'pw8chars';
let c: ComputeCloud;
let server: string;
let vnc: StandIn;
let novnc: ConsoleProxy;

test.before(async () => {
  c = await startComputeCloud('inspector-consoles', {
    libvirt: { hosts: [{ name: 'compute-1' }] },
    consoles: { proxies: true, spicePort: 0, serialPort: 0 },
    // Idle actors passivate at once: a console actor must stay while its session is open.
    passivation: { sweepMs: 20, instanceMs: 20 },
  });
  server = await bootActive(c, c.demo, 'watched');
  vnc = await startStandIn({ vncPassword: PASSWORD });
  const clock = new SimulatedClock(Date.now());
  novnc = await startConsoleProxy(
    {
      type: 'novnc',
      models: c.cloud.db.models,
      clock,
      logger: silentLogger(),
      sessions: c.cloud.consoles!.sessions,
      failedTokens: new FailedTokens(clock, 100),
      allowedOrigins: [],
      bufferBytes: 256 * 1024,
      guestEndpoint: (t) => Promise.resolve({ host: t.host, port: t.port, password: PASSWORD }),
    },
    '127.0.0.1',
    0,
  );
});
test.after.always(async () => {
  await novnc?.close();
  await vnc?.close();
  await c?.stop();
});

const tree = async () => {
  const r = await fetch(`${c.cloud.inspector!.url.replace(/\/$/, '')}/api/tree`, { headers: { 'x-auth-token': c.admin } });
  return { status: r.status, body: (await r.json()) as { consoles: Array<Record<string, unknown>> | null } };
};

test.serial(
  'a console session opened through the noVNC proxy shows in the inspector’s tree (node, since, bytes each way), and leaves it when closed',
  async (t) => {
    const before = await tree();
    t.is(before.status, 200);
    t.deepEqual(before.body.consoles, []);
    const host = (await c.cloud.db.models.Instance.findByPk(server))!.get('host') as string;
    const { token } = await issueToken(
      c.cloud.db.models,
      { consoleType: 'novnc', instanceUuid: server, computeHost: host, host: '127.0.0.1', port: vnc.port, ttlMs: 600_000 },
      Date.now(),
    );
    const ws = new WebSocket(`${novnc.url.replace(/^http/, 'ws')}/?token=${token}`, ['binary'], { headers: { Origin: novnc.url } });
    const queue = new ByteQueue(1024 * 1024);
    ws.on('message', (d: Buffer) => queue.push(d));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // The browser's side of RFB 3.8 up to ServerInit (offered None), then a few bytes of its own.
    t.is((await queue.read(12)).toString(), 'RFB 003.008\n');
    ws.send(Buffer.from('RFB 003.008\n'));
    const count = (await queue.read(1))[0];
    t.deepEqual([...(await queue.read(count))], [1]);
    ws.send(Buffer.from([1]));
    t.is((await queue.read(4)).readUInt32BE(0), 0);
    ws.send(Buffer.from([1]));
    await queue.read(serverInit('standin').length);
    ws.send(Buffer.from('hello guest'));
    await eventually(() => vnc.received.flat().reduce((n, b) => n + b.length, 0) >= 'hello guest'.length);

    let seen: Record<string, unknown> | undefined;
    await eventually(async () => {
      seen = (await tree()).body.consoles?.find((s) => s.server === server);
      return seen !== undefined && (seen.bytes_to_guest as number) >= 'hello guest'.length;
    });
    t.like(seen, { server, node: c.config.nodeId, protocol: 'vnc' });
    t.true((seen!.bytes_to_client as number) > 0, 'the guest’s handshake and ServerInit reached the client');
    t.false(Number.isNaN(Date.parse(seen!.since as string)));
    // This node's alone, on the admin port.
    const local = await fetch(`${c.cloud.admin.url}/v1/consoles?scope=node`, { headers: { 'x-auth-token': c.admin } });
    t.is(local.status, 200);
    t.deepEqual(((await local.json()) as { consoles: unknown[] }).consoles, [seen]);

    ws.close();
    await eventually(async () => (await tree()).body.consoles?.length === 0);
    t.deepEqual((await tree()).body.consoles, []);
  },
);

test.serial('GET /v1/consoles: a bad scope is 400, a member’s token 403', async (t) => {
  const bad = await fetch(`${c.cloud.admin.url}/v1/consoles?scope=planet`, { headers: { 'x-auth-token': c.admin } });
  t.is(bad.status, 400);
  t.deepEqual(await bad.json(), { error: { code: 400, title: 'Bad Request', message: "scope must be 'node' or 'cluster'" } });
  const member = await fetch(`${c.cloud.admin.url}/v1/consoles`, { headers: { 'x-auth-token': c.demo } });
  t.is(member.status, 403);
  t.deepEqual(await member.json(), {
    error: { code: 403, title: 'Forbidden', message: 'You are not authorized to perform the requested action: the admin role is required.' },
  });
});

/** A session through the test's proxy, its RFB handshake done as a browser's. */
async function openSession(): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const host = (await c.cloud.db.models.Instance.findByPk(server))!.get('host') as string;
  const { token } = await issueToken(
    c.cloud.db.models,
    { consoleType: 'novnc', instanceUuid: server, computeHost: host, host: '127.0.0.1', port: vnc.port, ttlMs: 600_000 },
    Date.now(),
  );
  const ws = new WebSocket(`${novnc.url.replace(/^http/, 'ws')}/?token=${token}`, ['binary'], { headers: { Origin: novnc.url } });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const queue = new ByteQueue(1024 * 1024);
  ws.on('message', (d: Buffer) => queue.push(d));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  await queue.read(12);
  ws.send(Buffer.from('RFB 003.008\n'));
  await queue.read(1 + (await queue.read(1))[0] - 1);
  ws.send(Buffer.from([1]));
  await queue.read(4);
  ws.send(Buffer.from([1]));
  await queue.read(serverInit('standin').length);
  return { ws, closed };
}

const closeAsAdmin = (id: string, token = c.admin) =>
  fetch(`${c.cloud.admin.url}/v1/consoles/${encodeURIComponent(id)}/close`, { method: 'POST', headers: { 'x-auth-token': token } });

test.serial(
  'a session is a console actor pinned to its node, never passivated while open; an operator closes it (audited), and both ends see it',
  async (t) => {
    const guestsBefore = vnc.sockets.length;
    const { ws, closed } = await openSession();
    const sessions = c.cloud.consoles!.sessions;
    await eventually(() => sessions.list().length === 1);
    const id = sessions.list()[0].id;
    t.true(id.startsWith(`${c.config.nodeId}:`), 'the id carries the node that holds the sockets');
    const actor = ref('console', id);
    t.true(c.cloud.node.isActive(actor));
    // The instance actor, idle as long, passivates; the open session's actor does not.
    await eventually(() => !c.cloud.node.isActive(ref('instance', server)));
    t.true(c.cloud.node.isActive(actor), 'an open session’s actor stays active');
    t.like(await c.cloud.db.models.Console.findByPk(id, { raw: true }), { status: 'open', node: c.config.nodeId });

    // Refused: a member, an unknown session.
    const member = await closeAsAdmin(id, c.demo);
    t.is(member.status, 403);
    t.like(await member.json(), { error: { code: 403, title: 'Forbidden' } });
    const unknown = await closeAsAdmin(`${c.config.nodeId}:nope`);
    t.is(unknown.status, 404);
    t.deepEqual(await unknown.json(), { error: { code: 404, title: 'Not Found', message: `Console session ${c.config.nodeId}:nope not found` } });
    t.is(ws.readyState, ws.OPEN, 'a refused close leaves the session open');

    const answer = await closeAsAdmin(id);
    t.is(answer.status, 200);
    t.like(await answer.json(), { console: { id, server, node: c.config.nodeId, status: 'closed', end_reason: 'operator' } });
    // The browser's end: closed by the proxy, saying why; the guest's end: its connection gone.
    t.deepEqual(await closed, { code: 1000, reason: 'operator' });
    await eventually(() => vnc.sockets.slice(guestsBefore).every((s) => s.destroyed || s.readableEnded));
    await eventually(() => sessions.list().length === 0);
    const row = (await c.cloud.db.models.Console.findByPk(id, { raw: true })) as unknown as Record<string, unknown>;
    t.like(row, { status: 'closed', end_reason: 'operator' });
    t.true(Number(row.bytes_to_client) > 0, 'the bytes relayed are recorded');
    // Closed, the actor gives its memory back.
    await eventually(() => !c.cloud.node.isActive(actor));
    const again = await closeAsAdmin(id);
    t.is(again.status, 409);
    t.deepEqual(await again.json(), { error: { code: 409, title: 'Conflict', message: `Console session ${id} is not open (closed)` } });

    const audit = await fetch(`${c.cloud.admin.url}/v1/audit?action=console.close`, { headers: { 'x-auth-token': c.admin } });
    const entries = ((await audit.json()) as { audit: Array<Record<string, unknown>> }).audit;
    t.deepEqual(
      entries.map((e) => [e.target, e.result]),
      [
        [id, 'refused'],
        [id, 'accepted'],
        [`${c.config.nodeId}:nope`, 'refused'],
      ],
    );
  },
);
