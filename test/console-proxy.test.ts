import test from 'ava';
import pino from 'pino';
import { Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { WebSocket } from 'ws';
import { SimulatedClock } from '../runtime/clock.js';
import { ByteQueue } from '../http/console/byte-queue.js';
import { FailedTokens } from '../http/console/failed-tokens.js';
import { startConsoleProxy, type ConsoleProxy } from '../http/console/proxy.js';
import { ConsoleSessions } from '../http/console/sessions.js';
import { vncAuthResponse } from '../http/console/vnc-auth.js';
import { issueToken, type ConsoleType } from '../services/consoles/tokens.js';
import { bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { serverInit, startStandIn, type StandIn } from './helpers/rfb-standin.js';

// Issue 21's console proxies against listeners standing in for a guest's consoles (a small RFB server with VNC
// Authentication, a raw TCP echo for a serial port), with token rows for a real server of a simulated cloud:
// the RFB security proxy (VNC Auth to the guest, None to the browser), the relay, the session rows, and every
// refusal, each asserted on both ends (the client's answer, and the stand-in saw no connection).

const PASSWORD = 'pw8chars';
const BOUND = 256 * 1024;
let c: ComputeCloud;
let server: string;
let computeHost: string;
let vnc: StandIn;
let serial: StandIn;
let clock: SimulatedClock;
let sessions: ConsoleSessions;
let novnc: ConsoleProxy;
let serialProxy: ConsoleProxy;
const logLines: string[] = [];
const issued: string[] = [];

test.before(async () => {
  c = await startComputeCloud('console-proxy', {
    libvirt: { hosts: [{ name: 'compute-1' }] },
    consoles: { proxies: true, spicePort: 0, serialPort: 0 },
  });
  server = await bootActive(c, c.demo, 'proxied');
  computeHost = (await c.cloud.db.models.Instance.findByPk(server))!.get('host') as string;
  vnc = await startStandIn({ vncPassword: PASSWORD });
  serial = await startStandIn('raw');
  clock = new SimulatedClock(Date.now());
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _e, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  // The cloud's own node holds the sessions' console actors (it announces their pin).
  sessions = new ConsoleSessions(c.cloud.db.models, c.cloud.node, clock, logger, {
    node: c.cloud.config.nodeId,
    enforceSessionTimeout: true,
    sessionsPerToken: 2,
    sessionsPerServer: 3,
    watchMs: 1_000,
  });
  const common = {
    models: c.cloud.db.models,
    clock,
    logger,
    sessions,
    failedTokens: new FailedTokens(clock, 100),
    allowedOrigins: ['console.example.org'],
    bufferBytes: BOUND,
  };
  novnc = await startConsoleProxy(
    { ...common, type: 'novnc', guestEndpoint: (t) => Promise.resolve({ host: t.host, port: t.port, password: PASSWORD }) },
    '127.0.0.1',
    0,
  );
  serialProxy = await startConsoleProxy(
    { ...common, type: 'serial', failedTokens: new FailedTokens(clock, 100), guestEndpoint: (t) => Promise.resolve({ host: t.host, port: t.port }) },
    '127.0.0.1',
    0,
  );
});
// Each test starts with no session open (the caps count them).
test.afterEach.always(async () => {
  for (const s of sessions.list()) s.close('operator');
  await eventually(() => sessions.list().length === 0);
});
test.after.always(async () => {
  sessions?.stop();
  await novnc?.close();
  await serialProxy?.close();
  await vnc?.close();
  await serial?.close();
  await c?.stop();
});

async function token(type: ConsoleType = 'novnc', ttlMs = 600_000, instance = server): Promise<string> {
  const port = type === 'serial' ? serial.port : vnc.port;
  const host = instance === server ? computeHost : ((await c.cloud.db.models.Instance.findByPk(instance))!.get('host') as string);
  const { token } = await issueToken(
    c.cloud.db.models,
    { consoleType: type, instanceUuid: instance, computeHost: host, host: '127.0.0.1', port, ttlMs },
    clock.now(),
  );
  issued.push(token);
  return token;
}

/** A WebSocket to a proxy: opened, or the HTTP status it was refused with (and its body). */
function connectWs(
  proxy: ConsoleProxy,
  path: string,
  options: { origin?: string; protocols?: string[]; cookie?: string } = {},
): Promise<{ ws: WebSocket; queue: ByteQueue } | { status: number; body: string }> {
  const url = proxy.url.replace(/^http/, 'ws') + path;
  const headers: Record<string, string> = {};
  if (options.origin) headers.Origin = options.origin;
  if (options.cookie) headers.Cookie = options.cookie;
  const ws = new WebSocket(url, options.protocols ?? [], { headers });
  const queue = new ByteQueue(64 * 1024 * 1024);
  ws.on('message', (d: Buffer) => queue.push(d));
  ws.on('close', () => queue.fail(new Error('closed')));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, queue }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** The browser's side of RFB 3.8 through the proxy, up to ServerInit: the security types it was offered. */
async function rfbClient(ws: WebSocket, queue: ByteQueue): Promise<{ types: number[]; init: Buffer }> {
  t_assert((await queue.read(12)).toString() === 'RFB 003.008\n', 'version');
  ws.send(Buffer.from('RFB 003.008\n'));
  const count = (await queue.read(1))[0];
  const types = [...(await queue.read(count))];
  ws.send(Buffer.from([1]));
  t_assert((await queue.read(4)).readUInt32BE(0) === 0, 'security result OK');
  ws.send(Buffer.from([1])); // ClientInit, shared
  const init = await queue.read(serverInit('standin').length);
  return { types, init };
}
function t_assert(condition: boolean, what: string): void {
  if (!condition) throw new Error(`RFB: ${what}`);
}

const closedWith = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) => {
    if (ws.readyState === ws.CLOSED) resolve({ code: 0, reason: '' });
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });

test('VNC Authentication’s DES: the classic DES test vector, its key bits reversed as VNC does', (t) => {
  // DES(0x133457799BBCDFF1, 0x0123456789ABCDEF) = 0x85E813540F0AB405; VNC reverses each key byte's bits first.
  const password = Buffer.from([0xc8, 0x2c, 0xea, 0x9e, 0xd9, 0x3d, 0xfb, 0x8f]).toString('latin1');
  const block = Buffer.from('0123456789abcdef', 'hex');
  t.is(vncAuthResponse(password, Buffer.concat([block, block])).toString('hex'), '85e813540f0ab405'.repeat(2));
});

test.serial(
  'noVNC through the proxy: the guest is authenticated with its password, the browser is offered None only, bytes relay both ways and the session is recorded',
  async (t) => {
    const before = { connections: vnc.connections, authenticated: vnc.authenticated };
    const tok = await token();
    const opened = await connectWs(novnc, `/?token=${tok}`, { origin: novnc.url, protocols: ['binary'] });
    if (!('ws' in opened)) return t.fail(JSON.stringify(opened));
    const { ws, queue } = opened;
    t.is(ws.protocol, 'binary');
    const { types, init } = await rfbClient(ws, queue);
    t.deepEqual(types, [1], 'security type None only');
    t.deepEqual(init, serverInit('standin'));
    t.is(vnc.connections, before.connections + 1);
    t.is(vnc.authenticated, before.authenticated + 1, 'the proxy answered the guest’s challenge with the password');
    ws.send(Buffer.from('key-event'));
    await eventually(() => Buffer.concat(vnc.received[before.connections]).toString().endsWith('key-event'));
    vnc.sockets[before.connections].write('framebuffer-update');
    t.is((await queue.read(18)).toString(), 'framebuffer-update');
    const open = sessions.list().find((s) => s.token.instance_uuid === server && s.protocol === 'vnc');
    t.truthy(open, 'in the node’s registry');
    const row = (await c.cloud.db.models.Console.findByPk(open!.id, { raw: true })) as unknown as Record<string, unknown>;
    t.like(row, { instance_uuid: server, status: 'open', node: c.cloud.config.nodeId, protocol: 'vnc', console_type: 'novnc' });
    ws.close();
    await eventually(async () => ((await c.cloud.db.models.Console.findByPk(open!.id, { raw: true })) as any)?.status === 'closed');
    const ended = (await c.cloud.db.models.Console.findByPk(open!.id, { raw: true })) as any;
    t.is(ended.end_reason, 'closed');
    t.true(Number(ended.bytes_to_guest) >= 'key-event'.length, String(ended.bytes_to_guest));
    t.true(Number(ended.bytes_to_client) >= 'framebuffer-update'.length, String(ended.bytes_to_client));
  },
);

test.serial('the token may come in the `token` cookie; the serial proxy relays raw bytes both ways', async (t) => {
  const tok = await token('serial');
  const opened = await connectWs(serialProxy, '/', { cookie: `other=1; token=${tok}` });
  if (!('ws' in opened)) return t.fail(JSON.stringify(opened));
  opened.ws.send(Buffer.from('echo word-42\n'));
  t.is((await opened.queue.read(13)).toString(), 'echo word-42\n');
  opened.ws.close();
  await closedWith(opened.ws);
});

test.serial(
  'refusals before the WebSocket opens, none reaching the guest: unknown, expired and other-type tokens, a foreign Origin, a // path, another subprotocol',
  async (t) => {
    const seen = vnc.connections;
    const valid = await token();
    const expiring = await token('novnc', 1_000);
    const serialToken = await token('serial');
    await clock.advance(1_000);
    const cases: Array<[string, Parameters<typeof connectWs>[2], number, RegExp]> = [
      ['/?token=00000000-0000-4000-8000-000000000000', {}, 403, /Invalid token/],
      [`/?token=${expiring}`, {}, 403, /Invalid token/],
      [`/?token=${serialToken}`, {}, 403, /Invalid token/],
      [`/?token=${valid}`, { origin: 'http://evil.example.com' }, 403, /Origin not allowed/],
      [`/?token=${valid}`, { origin: novnc.url.replace('http:', 'https:') }, 403, /Origin not allowed/],
      [`//evil.example.com/?token=${valid}`, {}, 400, /Bad Request/],
      [`/?token=${valid}`, { protocols: ['chat'] }, 400, /subprotocol/],
    ];
    for (const [path, options, status, body] of cases) {
      const r = await connectWs(novnc, path, options);
      t.true('status' in r, path);
      if ('status' in r) {
        t.is(r.status, status, `${path} ${JSON.stringify(options)}`);
        t.regex(r.body, body);
      }
    }
    // An allowed origin other than the proxy's own host passes.
    const allowed = await connectWs(novnc, `/?token=${valid}`, { origin: 'http://console.example.org' });
    t.true('ws' in allowed);
    if ('ws' in allowed) {
      await rfbClient(allowed.ws, allowed.queue);
      allowed.ws.terminate();
    }
    t.is(vnc.connections, seen + 1, 'only the allowed connection reached the guest');
    const page = await fetch(`${novnc.url}//evil.example.com/vnc_lite.html`);
    t.is(page.status, 400);
    t.is((await fetch(`${novnc.url}/vnc_lite.html?path=%3Ftoken%3Dx`)).status, 200);
    t.is((await fetch(`${novnc.url}/core/rfb.js`)).status, 200);
    t.is((await fetch(`${novnc.url}/core/../../../package.json`)).status, 404);
  },
);

test.serial(
  'brute force: past the failed tokens a client may present in a minute, even a valid token is answered 429 until the minute is over',
  async (t) => {
    const proxy = await startConsoleProxy(
      {
        type: 'novnc',
        models: c.cloud.db.models,
        clock,
        logger: pino({ level: 'silent' }),
        sessions,
        failedTokens: new FailedTokens(clock, 3),
        allowedOrigins: [],
        bufferBytes: BOUND,
        guestEndpoint: (tk) => Promise.resolve({ host: tk.host, port: tk.port, password: PASSWORD }),
      },
      '127.0.0.1',
      0,
    );
    const seen = vnc.connections;
    try {
      for (let i = 0; i < 3; i++) t.like(await connectWs(proxy, `/?token=wrong-${i}`), { status: 403 });
      const valid = await token();
      t.like(await connectWs(proxy, `/?token=${valid}`), { status: 429, body: 'Too Many Requests\n' });
      t.is(vnc.connections, seen);
      await clock.advance(60_001);
      const later = await connectWs(proxy, `/?token=${await token()}`);
      t.true('ws' in later, 'a minute later the client is heard again');
      if ('ws' in later) later.ws.terminate();
    } finally {
      await proxy.close();
    }
  },
);

test.serial('session caps: per token and per server; a refused session never reaches the guest', async (t) => {
  const tok = await token();
  const open: WebSocket[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await connectWs(novnc, `/?token=${tok}`);
    if ('ws' in r) {
      await rfbClient(r.ws, r.queue);
      open.push(r.ws);
    }
  }
  t.is(open.length, 2);
  const seen = vnc.connections;
  t.like(await connectWs(novnc, `/?token=${tok}`), { status: 503, body: 'Service Unavailable: too many sessions with this token\n' });
  const another = await connectWs(novnc, `/?token=${await token()}`);
  if ('ws' in another) {
    await rfbClient(another.ws, another.queue);
    open.push(another.ws);
  }
  t.like(await connectWs(novnc, `/?token=${await token()}`), { status: 503, body: 'Service Unavailable: too many sessions to this server\n' });
  t.is(vnc.connections, seen + 1);
  for (const ws of open) ws.close();
  await eventually(() => sessions.list().length === 0);
});

test.serial('a session open when its token expires is closed; deleting the server closes its sessions', async (t) => {
  const short = await token('novnc', 5_000);
  const r = await connectWs(novnc, `/?token=${short}`);
  if (!('ws' in r)) return t.fail();
  await rfbClient(r.ws, r.queue);
  const id = sessions.list()[0].id;
  await sessions.watch();
  t.is(sessions.list().length, 1, 'still open before expiry');
  await clock.advance(5_000);
  const expired = closedWith(r.ws);
  await sessions.watch();
  t.like(await expired, { code: 1000, reason: 'expired' });
  await eventually(async () => ((await c.cloud.db.models.Console.findByPk(id, { raw: true })) as any)?.end_reason === 'expired');

  const doomed = await bootActive(c, c.demo, 'doomed');
  const s = await connectWs(serialProxy, `/?token=${await token('serial', 600_000, doomed)}`);
  if (!('ws' in s)) return t.fail();
  await eventually(() => sessions.list().some((x) => x.token.instance_uuid === doomed));
  t.is((await c.nova.call('DELETE', `/v2.1/servers/${doomed}`, { token: c.demo })).status, 204);
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${doomed}`, { token: c.demo })).status === 404);
  const deleted = closedWith(s.ws);
  await sessions.watch();
  t.like(await deleted, { code: 1000, reason: 'deleted' });
});

test.serial('a client that stops reading: the proxy holds at most its bound and stops reading the guest', async (t) => {
  const r = await connectWs(novnc, `/?token=${await token()}`);
  if (!('ws' in r)) return t.fail();
  await rfbClient(r.ws, r.queue);
  const session = sessions.list().find((s) => s.protocol === 'vnc')!;
  const guest = vnc.sockets[vnc.sockets.length - 1];
  // The client stops reading: its socket is paused, so the kernel's buffers fill and then the proxy's.
  r.ws.pause();
  const chunk = Buffer.alloc(64 * 1024, 7);
  let written = 0;
  let peak = 0;
  // The stand-in writes until its own socket holds 8 MiB unsent: the proxy has stopped reading it by then.
  while (guest.writableLength < 8 * 1024 * 1024 && written < 256 * 1024 * 1024) {
    guest.write(chunk);
    written += chunk.length;
    peak = Math.max(peak, session.buffered());
    if (written % (1024 * 1024) === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await eventually(() => {
    peak = Math.max(peak, session.buffered());
    return guest.writableLength >= 8 * 1024 * 1024;
  });
  peak = Math.max(peak, session.buffered(), sessions.buffered());
  t.true(peak <= BOUND, `buffered ${peak} ≤ ${BOUND}`);
  t.true(session.toClient() < written, 'the proxy stopped taking the guest’s bytes');
  r.ws.terminate();
  await eventually(() => sessions.list().length === 0);
});

test.serial('after the run no issued token appears in the proxies’ logs', (t) => {
  t.true(logLines.length > 5, 'the proxies logged');
  t.true(logLines.some((l) => l.includes('console connection refused')));
  for (const tok of issued)
    t.false(
      logLines.some((l) => l.includes(tok)),
      'a token was logged',
    );
});

test.serial('the cloud’s own proxies: the noVNC page and client served, a wrong token refused, sessions and bytes in /metrics', async (t) => {
  const proxies = c.cloud.consoles!.proxies;
  const page = await fetch(`${proxies.novnc.url}/vnc_lite.html?path=%3Ftoken%3Dabc`);
  t.is(page.status, 200);
  const html = await page.text();
  t.regex(html, /import RFB from '\.\/core\/rfb\.js'/);
  // The page's policy must let its one inline script run (a browser runs it only if its hash is listed).
  const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)![1];
  t.true(page.headers.get('content-security-policy')!.includes(`'sha256-${createHash('sha256').update(script).digest('base64')}'`));
  t.is((await fetch(`${proxies['spice-html5'].url}/spice_auto.html`)).status, 200, 'Debian’s spice-html5');
  t.like(await connectWs(proxies.novnc, '/?token=nope'), { status: 403, body: 'Invalid token\n' });
  t.like(await connectWs(proxies.serial, '/?token=nope'), { status: 403, body: 'Invalid token\n' });
  const metrics = await (await fetch(`${c.cloud.ops.url}/metrics`)).text();
  t.regex(metrics, /stratus_console_sessions\{protocol="vnc"\} 0/);
  t.regex(metrics, /stratus_console_bytes_total\{direction="to_guest"\} \d+/);
  t.regex(metrics, /stratus_console_buffered_bytes \d+/);
});
