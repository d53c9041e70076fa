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
