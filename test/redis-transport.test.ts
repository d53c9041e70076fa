import test, { type ExecutionContext } from 'ava';
import type { Envelope, Reply } from '../runtime/envelope.js';
import { ActorError } from '../runtime/errors.js';
import type { NodeEndpoint } from '../runtime/transport.js';
import { RedisTransport, type RedisTransportOptions } from '../runtime/transports/redis.js';
import { eventually } from './helpers/drive.js';
import { startRedisServer, type RedisServer, type RedisServerOptions } from './helpers/redis-server.js';

// Two transports on a private redis-server stand for two node processes; the endpoints record what arrives.

class Endpoint implements NodeEndpoint {
  readonly received: Envelope[] = [];
  readonly replies: Reply[] = [];
  onReceive: (envelope: Envelope) => void = () => {};
  constructor(readonly nodeId: string) {}
  receive(envelope: Envelope): void {
    this.received.push(envelope);
    this.onReceive(envelope);
  }
  receiveReply(reply: Reply): void {
    this.replies.push(reply);
  }
}

const WAIT_MS = 20_000;

const envelope = (id: string | number, durable: boolean, extra: Partial<Envelope> = {}): Envelope => ({
  id,
  to: { kind: 'instance', id: 'i-1' },
  type: durable ? 'rename' : 'get',
  payload: { n: id, text: 'ünïcode ✓' },
  durable,
  ...extra,
});

interface Pair {
  server: RedisServer;
  a: RedisTransport;
  b: RedisTransport;
  nodeA: Endpoint;
  nodeB: Endpoint;
}

async function pair(
  t: ExecutionContext,
  serverOptions: RedisServerOptions = {},
  options: Partial<RedisTransportOptions> = {},
  url?: (server: RedisServer) => string,
): Promise<Pair> {
  const server = await startRedisServer(serverOptions);
  const transportOptions = (s: RedisServer) => ({ url: url ? url(s) : s.url, caFile: s.caFile, blockMs: 200, ...options });
  const a = new RedisTransport(transportOptions(server));
  const b = new RedisTransport(transportOptions(server));
  t.teardown(async () => {
    await a.close();
    await b.close();
    await server.destroy();
  });
  const nodeA = new Endpoint('a');
  const nodeB = new Endpoint('b');
  await a.attach(nodeA);
  await b.attach(nodeB);
  return { server, a, b, nodeA, nodeB };
}

async function inRedis<T>(server: RedisServer, f: (redis: ReturnType<RedisServer['admin']>) => Promise<T>): Promise<T> {
  const redis = server.admin();
  try {
    return await f(redis);
  } finally {
    redis.disconnect();
  }
}

const pendingCount = (server: RedisServer, stream: string) =>
  inRedis(server, async (r) => {
    try {
      return Number(((await r.xpending(stream, 'mailbox')) as [number])[0]);
    } catch {
      return 0;
    }
  });
const streamLength = (server: RedisServer, stream: string) => inRedis(server, (r) => r.xlen(stream));
const held = (server: RedisServer, counter: string) => inRedis(server, async (r) => Number((await r.get(counter)) ?? 0));

const refusedWith = (t: ExecutionContext, f: () => unknown, code: string, message: RegExp) => {
  const error = t.throws(f, { instanceOf: ActorError });
  t.is(error?.code, code);
  t.regex(error?.message ?? '', message);
};

test.serial('1,000 envelopes from one sender arrive in the order sent; transient ones leave the stream on receipt', async (t) => {
  const { server, a, b, nodeB } = await pair(t);
  for (let i = 1; i <= 1_000; i++) a.deliver('b', envelope(i % 2 ? i : `m-${i}`, i % 2 === 0));
  await eventually(() => nodeB.received.length >= 1_000, WAIT_MS);
  t.deepEqual(
    nodeB.received.map((e) => e.payload),
    Array.from({ length: 1_000 }, (_, i) => ({ n: i % 2 === 0 ? i + 1 : `m-${i + 1}`, text: 'ünïcode ✓' })),
  );
  t.deepEqual(nodeB.received[1], envelope('m-2', true));
  t.is(a.stats.sent, 1_000);
  t.is(b.stats.received, 1_000);
  // The 500 durable ones stay until acknowledged.
  await eventually(async () => (await held(server, b.counterKey('b'))) === 500, WAIT_MS);
  t.is(b.stats.pending, 500);
  t.true((await pendingCount(server, b.key('b'))) > 0);
  for (const e of nodeB.received) if (e.durable) b.acknowledge(String(e.id));
  await eventually(async () => (await streamLength(server, b.key('b'))) === 0, WAIT_MS);
  t.is(await pendingCount(server, b.key('b')), 0);
  t.is(await held(server, b.counterKey('b')), 0);
  t.is(b.stats.pending, 0);
});

test.serial('a request crosses to the other node and its reply (an answer or an error) comes back', async (t) => {
  const { a, b, nodeA, nodeB } = await pair(t);
  nodeB.onReceive = (e) => {
    if (!e.replyTo) return;
    const reply: Reply =
      e.payload && (e.payload as { fail?: boolean }).fail
        ? { requestId: e.replyTo.requestId, ok: false, error: { code: 'rejected', message: 'no such flavor', details: { flavor: 'x' } } }
        : { requestId: e.replyTo.requestId, ok: true, value: { echoed: e.payload } };
    b.reply(e.replyTo.node, reply);
  };
  a.deliver('b', { ...envelope(7, false), replyTo: { node: 'a', requestId: 'boot-1' }, correlationId: 'req-x' });
  a.deliver('b', { ...envelope(8, false), payload: { fail: true }, replyTo: { node: 'a', requestId: 'boot-2' } });
  await eventually(() => nodeA.replies.length >= 2, WAIT_MS);
  t.deepEqual(nodeA.replies, [
    { requestId: 'boot-1', ok: true, value: { echoed: { n: 7, text: 'ünïcode ✓' } } },
    { requestId: 'boot-2', ok: false, error: { code: 'rejected', message: 'no such flavor', details: { flavor: 'x' } } },
  ]);
  t.is(nodeB.received[0].correlationId, 'req-x');
});

test.serial('a durable envelope stays pending until acknowledged, and is redelivered (marked) when it is not', async (t) => {
  const { server, a, b, nodeB } = await pair(t, {}, { redeliverAfterMs: 150 });
  a.deliver('b', envelope('d-1', true));
  a.deliver('b', envelope('d-2', true));
  await eventually(() => nodeB.received.length >= 2, WAIT_MS);
  t.true((await pendingCount(server, b.key('b'))) > 0);
  t.is(b.stats.pending, 2);
  b.acknowledge('d-1');
  await eventually(() => nodeB.received.some((e) => e.id === 'd-2' && e.redelivered === true), WAIT_MS);
  t.true(nodeB.received.filter((e) => e.id === 'd-1').length === 1, 'the acknowledged one is never redelivered');
  t.true(b.stats.redelivered >= 1);
  b.acknowledge('d-2');
  await eventually(async () => (await pendingCount(server, b.key('b'))) === 0 && (await streamLength(server, b.key('b'))) === 0, WAIT_MS);
  t.is(b.stats.pending, 0);
});

test.serial('a node attaching again gets what its earlier incarnation left unacknowledged, at once and marked', async (t) => {
  const { server, a, b, nodeB } = await pair(t);
  a.deliver('b', envelope('d-1', true));
  await eventually(() => nodeB.received.length >= 1, WAIT_MS);
  await b.detach('b');
  const again = new Endpoint('b');
  await b.attach(again);
  await eventually(() => again.received.length >= 1, WAIT_MS);
  t.deepEqual(again.received[0], { ...envelope('d-1', true), redelivered: true });
  b.acknowledge('d-1');
  await eventually(async () => (await streamLength(server, b.key('b'))) === 0, WAIT_MS);
});

test.serial('at maxPending a sender is refused (overloaded, with the bound named) until the target drains', async (t) => {
  const server = await startRedisServer();
  const a = new RedisTransport({ url: server.url, maxPending: 5, sendWaitMs: 10_000, blockMs: 200 });
  const c = new RedisTransport({ url: server.url, blockMs: 200 });
  t.teardown(async () => {
    await a.close();
    await c.close();
    await server.destroy();
  });
  await a.ready();
  for (let i = 0; i < 5; i++) a.deliver('c', envelope(i, false));
  refusedWith(t, () => a.deliver('c', envelope(5, false)), 'overloaded', /^node c's mailbox holds 5 .*maxPending 5\): retry later$/);
  t.is(a.stats.refused, 1);
  await eventually(async () => (await held(server, a.counterKey('c'))) === 5, WAIT_MS);
  refusedWith(t, () => a.deliver('c', envelope(5, false)), 'overloaded', /maxPending 5/);
  // The target comes up and reads its mailbox: a sender that waits is let through.
  const nodeC = new Endpoint('c');
  const room = a.whenRoom('c');
  await c.attach(nodeC);
  await room;
  a.deliver('c', envelope(5, false));
  await eventually(() => nodeC.received.length === 6, WAIT_MS);
  t.deepEqual(
    nodeC.received.map((e) => e.id),
    [0, 1, 2, 3, 4, 5],
  );
});

test.serial('whenRoom refuses after sendWaitMs when the target never drains', async (t) => {
  const server = await startRedisServer();
  const a = new RedisTransport({ url: server.url, maxPending: 2, sendWaitMs: 100 });
  t.teardown(async () => {
    await a.close();
    await server.destroy();
  });
  await a.ready();
  a.deliver('c', envelope(1, false));
  a.deliver('c', envelope(2, false));
  const error = await t.throwsAsync(a.whenRoom('c'), { instanceOf: ActorError });
  t.is(error?.code, 'overloaded');
  t.regex(error?.message ?? '', /^node c's mailbox holds 2 .*maxPending 2\): retry later$/);
});

test.serial('Redis restarted without persistence: senders are told unavailable meanwhile, then delivery resumes', async (t) => {
  const { server, a, b, nodeB } = await pair(t, { persistence: 'none' }, { redeliverAfterMs: 150 });
  a.deliver('b', envelope('before', true));
  await eventually(() => nodeB.received.length >= 1, WAIT_MS);
  t.true((await pendingCount(server, b.key('b'))) > 0);
  await server.stop();
  await eventually(() => {
    try {
      a.deliver('b', envelope('during', false));
      return false;
    } catch (error) {
      return error instanceof ActorError && error.code === 'unavailable';
    }
  }, WAIT_MS);
  refusedWith(
    t,
    () => a.deliver('b', envelope('during', false)),
    'unavailable',
    /^node b cannot be reached now: Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable/,
  );
  await server.start();
  // Everything Redis held is gone (the outbox redelivers durable ones); the group comes back and new entries flow.
  await eventually(() => {
    try {
      a.deliver('b', envelope('after', false));
      return true;
    } catch {
      return false;
    }
  }, WAIT_MS);
  await eventually(() => nodeB.received.some((e) => e.id === 'after'), WAIT_MS);
  b.acknowledge('before');
  t.is(b.stats.pending, 0);
  // Acknowledging what Redis lost never drives the pending count below zero.
  await eventually(async () => (await held(server, b.counterKey('b'))) === 0, WAIT_MS);
});

test.serial('Redis restarted with AOF: entries pending at the restart are delivered again after it', async (t) => {
  const { server, a, b, nodeB } = await pair(t, { persistence: 'aof-always' }, { redeliverAfterMs: 300 });
  for (let i = 0; i < 50; i++) a.deliver('b', envelope(`d-${i}`, true));
  await eventually(() => nodeB.received.length >= 50, WAIT_MS);
  t.true((await pendingCount(server, b.key('b'))) > 0);
  t.is(await held(server, b.counterKey('b')), 50);
  await server.restart();
  const ids = Array.from({ length: 50 }, (_, i) => `d-${i}`);
  await eventually(() => ids.every((id) => nodeB.received.some((e) => e.id === id && e.redelivered)), WAIT_MS);
  for (const id of ids) b.acknowledge(id);
  await eventually(async () => (await pendingCount(server, b.key('b'))) === 0 && (await streamLength(server, b.key('b'))) === 0, WAIT_MS);
  t.is(await held(server, b.counterKey('b')), 0);
  t.is(b.stats.pending, 0);
});

test.serial('AUTH: a password in the URL lets it in; a wrong one is refused as unavailable without echoing it', async (t) => {
  const { nodeB, a } = await pair(t, { password: 'pa55word' }, {}, (s) => s.urlFor(undefined, 'pa55word'));
  a.deliver('b', envelope(1, false));
  await eventually(() => nodeB.received.length === 1, WAIT_MS);
  const server = await startRedisServer({ password: 'right' });
  const wrong = new RedisTransport({ url: server.urlFor(undefined, 'wrong-secret'), connectTimeoutMs: 2_000 });
  t.teardown(async () => {
    await wrong.close();
    await server.destroy();
  });
  const error = await t.throwsAsync(wrong.attach(new Endpoint('x')), { instanceOf: ActorError });
  t.is(error?.code, 'unavailable');
  t.regex(error?.message ?? '', /^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: WRONGPASS/);
  t.false(error?.message.includes('wrong-secret'));
});

test.serial('ACL: a user limited to the cluster keys carries envelopes; a key outside them is denied', async (t) => {
  const users = [{ name: 'stratus', password: 'n0de-secret', rules: '~stratus:* resetchannels +@all' }];
  const { server, a, nodeB } = await pair(t, { users }, {}, (s) => s.urlFor('stratus', 'n0de-secret'));
  a.deliver('b', envelope(1, false));
  await eventually(() => nodeB.received.length === 1, WAIT_MS);
  const limited = new RedisTransport({ url: server.urlFor('stratus', 'n0de-secret'), keyPrefix: 'other:' });
  t.teardown(() => limited.close());
  const error = await t.throwsAsync(limited.attach(new Endpoint('z')), { instanceOf: ActorError });
  t.is(error?.code, 'unavailable');
  t.regex(error?.message ?? '', /^cannot read node z's stream at redis:\/\/127\.0\.0\.1:\d+: NOPERM/);
});

test.serial('TLS: rediss:// with the private CA carries envelopes; without the CA the connection is refused', async (t) => {
  const { server, a, nodeB } = await pair(t, { tls: true });
  t.true(server.url.startsWith('rediss://'));
  a.deliver('b', envelope(1, false));
  await eventually(() => nodeB.received.length === 1, WAIT_MS);
  const untrusting = new RedisTransport({ url: server.url, connectTimeoutMs: 2_000 });
  t.teardown(() => untrusting.close());
  const error = await t.throwsAsync(untrusting.ready(), { instanceOf: ActorError });
  t.is(error?.code, 'unavailable');
  t.regex(error?.message ?? '', /^cannot reach Redis at rediss:\/\/localhost:\d+: .*(certificate|self.signed)/i);
});

test.serial('malformed entries and items are logged, acknowledged and skipped; the valid ones are delivered', async (t) => {
  const { server, a, b, nodeB } = await pair(t);
  const valid = JSON.stringify(envelope('mixed', false));
  await inRedis(server, async (r) => {
    await r.xadd(b.key('b'), '*', 'x', 'y');
    await r.xadd(b.key('b'), '*', 'm', 'not json');
    await r.xadd(b.key('b'), '*', 'm', '{}');
    await r.xadd(b.key('b'), '*', 'm', '[]', 'extra', 'field');
    const badEnvelope = JSON.stringify({ id: { no: 1 }, to: { kind: 'instance', id: 'i' }, type: 't', durable: false });
    await r.xadd(b.key('b'), '*', 'm', `[["e",${badEnvelope}],["r",{"requestId":1,"ok":true}],["q",{}],["e",${valid}]]`);
  });
  a.deliver('b', envelope('good', false));
  await eventually(() => nodeB.received.length === 2, WAIT_MS);
  t.deepEqual(
    nodeB.received.map((e) => e.id),
    ['mixed', 'good'],
  );
  t.is(b.stats.malformed, 7);
  await eventually(async () => (await streamLength(server, b.key('b'))) === 0, WAIT_MS);
});

test.serial('an envelope passed on between nodes keeps its hop count; a bad count is refused as malformed', async (t) => {
  const { server, a, b, nodeB } = await pair(t);
  a.deliver('b', envelope('passed', false, { hops: 2 }));
  const badHops = JSON.stringify(envelope('bad-hops', false, { hops: -1 }));
  await inRedis(server, (r) => r.xadd(b.key('b'), '*', 'm', `[["e",${badHops}]]`));
  await eventually(() => nodeB.received.length === 1 && b.stats.malformed === 1, WAIT_MS);
  t.like(nodeB.received[0], { id: 'passed', hops: 2 });
});

test.serial('forget drops a node’s stream and its group', async (t) => {
  const { server, a, b } = await pair(t);
  await b.detach('b');
  a.deliver('b', envelope('d', true));
  await eventually(async () => (await streamLength(server, a.key('b'))) === 1, WAIT_MS);
  await a.forget('b');
  t.is(await inRedis(server, (r) => r.exists(a.key('b'), a.counterKey('b'))), 0);
});
