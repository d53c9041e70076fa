import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import type { ActorRef } from '../runtime/ref.js';
import type { CounterRow } from './fixtures/counter-kind.js';
import { ClusterHub } from './helpers/cluster-hub.js';
import { liveIn, startClusterNode, until, type ClusterNodeOptions, type ClusterTestNode } from './helpers/cluster.js';
import { createTestDatabase } from './helpers/database.js';

// Per-sender order when one message takes a detour: lost on the way to its owner (a Redis write that failed, or
// a restart without persistence) and brought back by the outbox sweep, or refused on the way (Redis away) and
// routed again at the next view change, while the sender's later messages reach the actor directly. The counter
// counts every add whose seq is not the one after the last it applied (`out_of_order`).
// Nodes in one process sharing one database, connected by the in-process hub (which loses or refuses envelopes
// on demand), on one simulated clock.

const LEASE = 30_000;

async function startCluster(
  t: { teardown(fn: () => Promise<void>): void },
  name: string,
  ids: string[],
  extra: Record<string, ClusterNodeOptions> = {},
) {
  const database = await createTestDatabase(name);
  const clock = new SimulatedClock();
  const hub = new ClusterHub();
  const nodes: ClusterTestNode[] = [];
  t.teardown(async () => {
    for (const n of nodes) await n.stop();
    await database.drop();
  });
  const join = async (id: string) => {
    nodes.push(await startClusterNode(database.url, hub, clock, id, { leaseMs: LEASE, ...extra[id] }));
    return nodes[nodes.length - 1];
  };
  for (const id of ids) await join(id);
  const wait = (condition: () => Promise<boolean> | boolean) => until(clock, nodes, condition);
  const all = () => nodes.map((n) => n.id).join(',');
  await wait(() => nodes.every((n) => liveIn(n) === all()));
  const [a] = nodes;
  const ownedBy = (by: string, kind: string) => {
    for (let i = 0; ; i++) if (a.cluster.ownerOf(kind, `${kind}-${i}`) === by) return `${kind}-${i}`;
  };
  const row = async (id: string) => (await a.db.sequelize.model('Counter').findByPk(id, { raw: true })) as unknown as CounterRow;
  const drained = () => wait(async () => (await a.db.models.Outbox.count()) === 0);
  return { clock, hub, nodes, a, wait, all, join, ownedBy, row, drained };
}

const add = (via: ClusterTestNode, ref: ActorRef, seq: number) => via.node.send(ref, 'add', { amount: seq, seq });

for (const kind of ['counter', 'piped']) {
  test(`${kind}: a message lost on the way to a live activation is applied before the sender's later ones`, async (t) => {
    const cl = await startCluster(t, `ordering-lost-${kind}`, ['a', 'b']);
    const { a, hub } = cl;
    const ref = { kind, id: cl.ownedBy('b', kind) };
    t.is(await a.node.ask(ref, 'add', { amount: 1, seq: 1 }), 1);
    t.true(cl.nodes[1].node.isActive(ref), 'the actor is live on its owner');
    hub.lose('b');
    await add(a, ref, 2);
    for (let seq = 3; seq <= 5; seq++) await add(a, ref, seq);
    // Only the outbox holds seq 2 now; the owner's sweep finds it overdue.
    await cl.drained();
    t.like(await cl.row(ref.id), { count: 5, total: 15, last_seq: 5, out_of_order: 0 });
    t.is(await a.db.models.Inbox.count(), 5, 'each add handled once');
    t.is(await a.db.models.DeadLetter.count(), 0);
  });
}

test('a message parked when its owner could not be reached is applied before the later ones, not at the view change', async (t) => {
  // Pinned to b, so the node joining later (the view change) does not move it.
  const cl = await startCluster(t, 'ordering-parked', ['a', 'b'], { b: { pins: ['pinned/p1'] } });
  const { a, hub } = cl;
  const ref = { kind: 'pinned', id: 'p1' };
  t.is(await a.node.ask(ref, 'add', { amount: 1, seq: 1 }), 1);
  hub.refuse('b');
  // Accepted (in the outbox), parked at a to be routed again at the next view change.
  await add(a, ref, 2);
  for (let seq = 3; seq <= 5; seq++) await add(a, ref, seq);
  // The later ones reached b; the view change comes well before b's sweep would find seq 2 overdue.
  await cl.wait(async () => (await cl.row('p1')).last_seq === 5);
  const joinedAt = cl.clock.now();
  await cl.join('c');
  await cl.wait(() => cl.nodes.every((n) => liveIn(n) === 'a,b,c'));
  await cl.drained();
  t.true(cl.clock.now() - joinedAt < a.cluster.redeliverAfterMs, 'all applied before any sweep');
  t.like(await cl.row('p1'), { count: 5, total: 15, last_seq: 5, out_of_order: 0 });
  t.is(await a.db.models.Inbox.count(), 5, 'the parked copy routed again was answered from the inbox');
});
