import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { ProtocolMismatchError } from '../runtime/cluster/membership.js';
import { ActorError } from '../runtime/errors.js';
import type { CounterRow } from './fixtures/counter-kind.js';
import { ClusterHub } from './helpers/cluster-hub.js';
import { holdFirst, liveIn, startClusterNode, until, type ClusterNodeOptions, type ClusterTestNode } from './helpers/cluster.js';
import { createTestDatabase } from './helpers/database.js';

// Three nodes in one process sharing one database, connected by an in-process hub, on one simulated clock.

// Long enough that a slow database round trip on a busy machine never lets a live node's lease lapse while the
// simulated clock runs on.
const LEASE = 30_000;
const counter = (id: string) => ({ kind: 'counter', id });

async function startCluster(name: string, extra: Record<string, ClusterNodeOptions> = {}) {
  const database = await createTestDatabase(name);
  const clock = new SimulatedClock();
  const hub = new ClusterHub();
  const nodes: ClusterTestNode[] = [];
  // One after another: each node's first start creates the fixture tables.
  for (const id of ['a', 'b', 'c']) nodes.push(await startClusterNode(database.url, hub, clock, id, { leaseMs: LEASE, ...extra[id] }));
  const [a, b, c] = nodes;
  // Messages need no timer: they are awaited in real time, and simulated time moves only when leases must.
  const ask = <R>(via: ClusterTestNode, ref: { kind: string; id: string }, type: string, payload: unknown) => via.node.ask<R>(ref, type, payload);
  const wait = (condition: () => Promise<boolean> | boolean) => until(clock, nodes, condition);
  await wait(() => nodes.every((n) => liveIn(n) === 'a,b,c'));
  const owned = (by: string, kind = 'counter', n = 8) => {
    const ids: string[] = [];
    for (let i = 0; ids.length < n; i++) if (a.cluster.ownerOf(kind, `${kind}-${i}`) === by) ids.push(`${kind}-${i}`);
    return ids;
  };
  const byId = (id: string) => nodes.find((n) => n.id === id)!;
  return {
    url: database.url,
    clock,
    wait,
    hub,
    nodes,
    a,
    b,
    c,
    ask,
    owned,
    byId,
    close: async () => {
      for (const n of nodes) await n.stop();
      await database.drop();
    },
  };
}

test('actors spread over the nodes by placement; a message to an actor owned elsewhere is handled once, by its owner', async (t) => {
  const cl = await startCluster('cluster-spread');
  const { a, nodes } = cl;
  const ids = Array.from({ length: 30 }, (_, i) => `s${i}`);
  const owners = new Map(ids.map((id) => [id, a.cluster.ownerOf('counter', id)!]));
  t.deepEqual([...new Set(owners.values())].sort(), ['a', 'b', 'c'], 'every node owns some');
  for (const n of nodes) for (const id of ids) t.is(n.cluster.ownerOf('counter', id), owners.get(id), 'every view agrees');
  for (const id of ids) t.is(await cl.ask(a, counter(id), 'add', { amount: 1 }), 1);
  for (const id of ids) {
    const owner = cl.byId(owners.get(id)!);
    t.is(owner.node.info(counter(id))?.handled, 1, `${id} handled on ${owner.id}`);
    for (const n of nodes) if (n !== owner) t.false(n.node.isActive(counter(id)), `${id} not active on ${n.id}`);
  }
  t.is(await a.db.models.Inbox.count(), 30);
  t.is(await a.db.models.Outbox.count(), 0);
  const acknowledged = [...cl.hub.acknowledged.values()].flat();
  t.is(new Set(acknowledged).size, 30, 'each durable message acknowledged to the transport after its commit');
  // Reads cross nodes too, from any node.
  const row = await cl.ask<CounterRow>(cl.c, counter('s0'), 'get', {});
  t.like(row, { total: 1, count: 1 });
  await cl.close();
});

test('a killed node: its actors answer from survivors with their state, and the durable messages it held are applied exactly once', async (t) => {
  const cl = await startCluster('cluster-failover');
  const { a, b, c, wait } = cl;
  const ids = cl.owned('b');
  for (const id of ids) t.is(await cl.ask(a, counter(id), 'add', { amount: 5 }), 5);
  b.kill();
  // Accepted (in the outbox) and passed to b, which never handles them.
  for (const id of ids) await a.node.send(counter(id), 'add', { amount: 7 });
  t.is(await a.db.models.Outbox.count(), ids.length);
  await wait(() => liveIn(a) === 'a,c' && liveIn(c) === 'a,c');
  t.is(a.cluster.nodes().find((n) => n.nodeId === 'b')?.status, 'down');
  await wait(async () => (await a.db.models.Outbox.count()) === 0);
  for (const id of ids) {
    const owner = a.cluster.ownerOf('counter', id);
    t.true(owner === 'a' || owner === 'c');
    const row = await cl.ask<CounterRow>(owner === 'a' ? c : a, counter(id), 'get', {});
    t.like(row, { total: 12, count: 2 }, `${id}: its state moved with it and the held message applied once`);
    t.true(cl.byId(owner!).node.isActive(counter(id)));
  }
  t.is(await a.db.models.Inbox.count(), ids.length * 2);
  await cl.close();
});

test('a delayed message held by a node that died is delivered by its new owner at its due time, not before', async (t) => {
  const cl = await startCluster('cluster-delayed');
  const { a, b, c, wait, clock } = cl;
  const [id] = cl.owned('b', 'counter', 1);
  const total = async () =>
    Number(((await a.db.sequelize.model('Counter').findByPk(id, { raw: true })) as unknown as CounterRow | null)?.total ?? -1);
  // Handled on b, which holds the add in memory until it is due; its outbox row keeps the due time.
  t.is(await cl.ask(a, counter(id), 'remind', { amount: 3, delayMs: 120_000 }), 'later');
  const [row] = (await a.db.models.Outbox.findAll({ raw: true })) as unknown as Array<{ deliver_at: Date }>;
  const due = new Date(row.deliver_at).getTime();
  b.kill();
  await wait(() => liveIn(a) === 'a,c' && liveIn(c) === 'a,c');
  t.true(clock.now() < due, 'b is seen down before the message is due');
  // The new owner activates the actor: its catch-up finds the message and keeps it for its due time.
  const owner = cl.byId(a.cluster.ownerOf('counter', id)!);
  t.like(await cl.ask<CounterRow>(owner, counter(id), 'get', {}), { total: 0 });
  await wait(() => clock.now() >= due - 250);
  t.is(await total(), 0, 'not delivered before its due time');
  await wait(async () => (await total()) === 3);
  t.true(clock.now() >= due, 'delivered once due');
  t.true(clock.now() < due + a.cluster.redeliverAfterMs, 'by the new owner at its due time, not by the overdue sweep later');
  await wait(async () => (await a.db.models.Outbox.count()) === 0);
  t.is(await a.db.models.Inbox.count(), 2, 'the reminder and the add, each handled once');
  await cl.close();
});

test('per-sender order holds across a failover: the new owner handles what the outbox held before newer messages', async (t) => {
  const cl = await startCluster('cluster-order');
  const { a, b, c, wait } = cl;
  const ids = cl.owned('b', 'counter', 4);
  b.kill();
  // Taken by b (in the outbox, passed to it) and never handled.
  for (let seq = 1; seq <= 5; seq++) for (const id of ids) await a.node.send(counter(id), 'add', { amount: 1, seq });
  await wait(() => liveIn(a) === 'a,c' && liveIn(c) === 'a,c');
  // The next messages reach the new owners before any redelivery sweep ran.
  for (let seq = 6; seq <= 8; seq++) for (const id of ids) await a.node.send(counter(id), 'add', { amount: 1, seq });
  await wait(async () => (await a.db.models.Outbox.count()) === 0);
  for (const id of ids) t.like(await cl.ask<CounterRow>(c, counter(id), 'get', {}), { total: 8, count: 8, last_seq: 8, out_of_order: 0 });
  await cl.close();
});

test('a node that comes back with a stale epoch has its write refused, then rejoins', async (t) => {
  const cl = await startCluster('cluster-stale');
  const { a, b, c, wait } = cl;
  const [id] = cl.owned('b', 'gated', 1);
  const ref = { kind: 'gated', id };
  t.is(await cl.ask(a, ref, 'add', { amount: 1 }), 1);
  // b takes the next message and is caught inside its handler (as a paused process would be).
  const gate = holdFirst(1000);
  await b.node.send(ref, 'add', { amount: 1000 });
  await wait(() => gate.reached);
  b.kill();
  await wait(() => liveIn(a) === 'a,c' && liveIn(c) === 'a,c');
  // The survivors activate the actor under a new epoch; the message b held is delivered again by the new owner.
  // (Two senders: their messages may be applied in either order.)
  t.true([5, 1005].includes(await cl.ask<number>(a, ref, 'add', { amount: 4 })));
  await wait(async () => (await a.db.models.Outbox.count()) === 0);
  t.like(await cl.ask<CounterRow>(c, ref, 'get', {}), { total: 1005, count: 3 });
  gate.open();
  await wait(() => b.store.stats.staleWrites > 0);
  t.true(b.store.stats.staleWrites > 0, 'the stale owner’s commit was refused');
  await b.revive();
  await wait(() => [a, b, c].every((n) => liveIn(n) === 'a,b,c'));
  for (const via of [a, b, c]) t.like(await cl.ask<CounterRow>(via, ref, 'get', {}), { total: 1005, count: 3 }, 'no double effect');
  t.is(await a.db.models.Outbox.count(), 0);
  await cl.close();
});

test('drain hands movable actors over with their state; a graceful stop drains and leaves', async (t) => {
  const cl = await startCluster('cluster-drain');
  const { a, b, c, wait } = cl;
  const ids = cl.owned('b');
  for (const id of ids) await cl.ask(a, counter(id), 'add', { amount: 3 });
  t.is(b.node.activeCount('counter'), ids.length);
  await b.node.drain();
  t.is(b.node.activeCount('counter'), 0, 'b holds no movable actor');
  t.is(b.cluster.nodes().find((n) => n.nodeId === 'b')?.status, 'draining');
  await wait(() => a.cluster.nodes().find((n) => n.nodeId === 'b')?.status === 'draining');
  await wait(() => c.cluster.nodes().find((n) => n.nodeId === 'b')?.status === 'draining');
  for (const id of ids) {
    const owner = a.cluster.ownerOf('counter', id);
    t.true(owner === 'a' || owner === 'c', `${id} placed on a survivor`);
    // Asked through the draining node too: it passes the message on.
    t.like(await cl.ask<CounterRow>(b, counter(id), 'get', {}), { total: 3 });
    t.is(await cl.ask(a, counter(id), 'add', { amount: 1 }), 4);
  }
  t.is(b.node.activeCount('counter'), 0, 'the draining node took no new activation');
  await b.stop();
  await wait(() => a.cluster.nodes().find((n) => n.nodeId === 'b')?.status === 'left');
  cl.nodes.splice(1, 1);
  await cl.close();
});

test('a pinned actor is unavailable while its node is down, with the reason', async (t) => {
  const cl = await startCluster('cluster-pinned', { c: { pins: ['pinned/p1'] } });
  const { a, c, wait } = cl;
  const ref = { kind: 'pinned', id: 'p1' };
  t.is(a.cluster.ownerOf('pinned', 'p1'), 'c');
  t.is(await cl.ask(a, ref, 'add', { amount: 2 }), 2);
  t.true(c.node.isActive(ref));
  c.kill();
  await wait(() => liveIn(a) === 'a,b');
  const error = await t.throwsAsync(cl.ask(a, ref, 'get', {}), { instanceOf: ActorError });
  t.is(error?.code, 'unavailable');
  t.is(error?.message, 'pinned/p1 is unavailable: pinned/p1 is pinned to node c, which is down');
  const durable = await t.throwsAsync(cl.ask(a, ref, 'add', { amount: 1 }), { instanceOf: ActorError });
  t.is(durable?.code, 'unavailable');
  t.regex(durable.message, /pinned to node c, which is down; the message is kept and delivered once its owner can take it$/);
  const unknown = await t.throwsAsync(cl.ask(a, { kind: 'pinned', id: 'nowhere' }, 'get', {}), { instanceOf: ActorError });
  t.is(unknown?.message, 'pinned/nowhere is unavailable: pinned/nowhere is pinned and no node holds it');
  // Movable actors carry on.
  t.is(await cl.ask(a, counter('m1'), 'add', { amount: 1 }), 1);
  // Back again, it takes its pinned actor and the message kept for it.
  await c.revive();
  await wait(() => liveIn(a) === 'a,b,c');
  await wait(async () => (await a.db.models.Outbox.count()) === 0);
  t.like(await cl.ask<CounterRow>(a, ref, 'get', {}), { total: 3, count: 2 });
  await cl.close();
});

test('a node of another protocol version is refused at join with a clear error', async (t) => {
  const cl = await startCluster('cluster-protocol');
  const error = await t.throwsAsync(startClusterNode(cl.url, cl.hub, cl.clock, 'd', { leaseMs: LEASE, protocolVersion: 99 }), {
    instanceOf: ProtocolMismatchError,
  });
  t.is(
    error?.message,
    "cluster protocol version 99 differs from the running nodes' (a: 1, b: 1, c: 1): a node may join only a cluster of its own protocol version; upgrade every node together",
  );
  await cl.clock.advance(LEASE);
  t.false(
    cl.a.cluster.nodes().some((n) => n.nodeId === 'd'),
    'it never entered the view',
  );
  await cl.close();
});

test('an owner whose activation was superseded by a straggler on another node loads again under a new epoch and handles the message once', async (t) => {
  const cl = await startCluster('cluster-reclaim');
  const { a } = cl;
  const [id] = cl.owned('a', 'counter', 1);
  t.is(await cl.ask(a, counter(id), 'add', { amount: 1 }), 1);
  // A moment of disagreeing views: node b activated the actor (a newer epoch) and has handed it back since.
  await cl.b.store.activate(counter(id), 'b');
  t.is(await cl.ask(a, counter(id), 'add', { amount: 2 }), 3, 'the stale commit was refused, the message handled again on a new epoch');
  t.is(a.node.info(counter(id))?.status, 'ready');
  t.is(await cl.ask(a, counter(id), 'add', { amount: 4 }), 7);
  const row = (await a.db.sequelize.model('Counter').findByPk(id, { raw: true })) as unknown as CounterRow;
  t.like(row, { total: 7, count: 3 }, 'each add applied once');
  t.is(await a.db.models.DeadLetter.count(), 0);
  await cl.close();
});
