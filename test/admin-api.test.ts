import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SimulatedClock } from '../runtime/clock.js';
import { at, bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { ADMIN_PASSWORD } from './helpers/identity.js';

// The operator's API and CLI on a whole cloud. Dead letters and a failed actor are caused for real: a
// directory where the host expects a suspended server's save file makes its release crash (EISDIR)
// on every attempt, as a filesystem fault would, until the operator removes it.
const clock = new SimulatedClock(Date.UTC(2026, 11, 6, 10));
let c: ComputeCloud;
let admin: string;

const ACTION_MS = 60_000;
const WITHIN_MS = 60_000;

test.before(async () => {
  c = await startComputeCloud(
    'admin-api',
    {
      libvirt: { hosts: [{ name: 'compute-1', memoryMb: 8192 }] },
      timeouts: { actionMs: ACTION_MS },
      supervision: { maxRestarts: 5, withinMs: WITHIN_MS, maxMessageAttempts: 3, backoffBaseMs: 100 },
    },
    clock,
  );
  admin = c.cloud.admin.url;
});
test.after.always(async () => {
  await c?.stop();
});

async function api(method: string, path: string, token: string | null = c.admin): Promise<{ status: number; body: any }> {
  const r = await fetch(`${admin}${path}`, { method, headers: token === null ? {} : { 'x-auth-token': token } });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}
const error = (code: number, title: string, message: string | RegExp) => ({ code, title, message });
const show = (id: string) => c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at('2.93') });
const del = (id: string) => c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.admin });
const service = async () => (await c.nova.call('GET', '/v2.1/os-services?binary=nova-compute', { token: c.admin })).body.services[0];
const deadLetters = async () => (await api('GET', '/v1/dead-letters?kind=host')).body.dead_letters as any[];

/** A directory where the host will try to remove the server's save file: its release crashes until it goes. */
function blockRelease(id: string): string {
  const path = join(c.config.stateDir, 'saved', 'compute-1', `${id}.save`);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'keep'), 'x');
  return path;
}

async function advanceUntil(done: () => Promise<boolean>, limitMs = 30_000, stepMs = 100): Promise<void> {
  for (let elapsed = 0; ; elapsed += stepMs) {
    if (await done()) return;
    if (elapsed > limitMs) throw new Error(`not reached within ${limitMs} ms of simulated time`);
    await clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cli = async (...args: string[]) => {
  const env = {
    ...process.env,
    STRATUS_ADMIN_URL: admin,
    STRATUS_LOG_LEVEL: 'silent',
    OS_AUTH_URL: `${c.cloud.identity!.publicUrl}/v3`,
    OS_USERNAME: 'admin',
    OS_PASSWORD: ADMIN_PASSWORD,
    OS_PROJECT_NAME: 'admin',
  };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', 'bin/stratus.ts', ...args], { env, timeout: 180_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const failure = e as { code: number; stdout: string; stderr: string };
    // Warnings aside: the CLI's error is its last line.
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr.trim().split('\n').at(-1)! };
  }
};

test.serial('the admin API takes only an admin’s token; refusals are Keystone-style error bodies', async (t) => {
  t.deepEqual(await api('GET', '/v1/actors', null), {
    status: 401,
    body: { error: error(401, 'Unauthorized', 'The request you have made requires authentication.') },
  });
  t.deepEqual(await api('GET', '/v1/actors', 'not-a-token'), {
    status: 401,
    body: { error: error(401, 'Unauthorized', 'The request you have made requires authentication.') },
  });
  t.deepEqual(await api('GET', '/v1/dead-letters', c.demo), {
    status: 403,
    body: { error: error(403, 'Forbidden', 'You are not authorized to perform the requested action: the admin role is required.') },
  });
  t.deepEqual(await api('POST', '/v1/actors/host/compute-1/restart', c.demo), {
    status: 403,
    body: { error: error(403, 'Forbidden', 'You are not authorized to perform the requested action: the admin role is required.') },
  });
  t.deepEqual(await api('GET', '/v1/actors/nonsense/x'), { status: 404, body: { error: error(404, 'Not Found', "No actor kind 'nonsense'") } });
  t.deepEqual(await api('GET', '/v1/actors?limit=0'), {
    status: 400,
    body: { error: error(400, 'Bad Request', 'limit must be a positive integer') },
  });
  t.deepEqual(await api('POST', '/v1/dead-letters/%00/retry'), { status: 400, body: { error: error(400, 'Bad Request', 'Invalid dead letter id') } });
  t.deepEqual(await api('DELETE', '/v1/dead-letters/no-such-letter'), {
    status: 404,
    body: { error: error(404, 'Not Found', 'Dead letter no-such-letter not found') },
  });
  t.deepEqual(await api('GET', '/v2/actors'), { status: 404, body: { error: error(404, 'Not Found', 'The resource could not be found.') } });
  const listed = await api('GET', '/v1/actors?kind=host');
  t.is(listed.status, 200);
  t.like(
    listed.body.actors.find((a: any) => a.id === 'compute-1'),
    { kind: 'host', node: c.config.nodeId, status: 'ready' },
  );
});

test.serial(
  'a dead-lettered delete: listed with its reason, retried by the operator once the fault is gone, and the server is deleted',
  async (t) => {
    const id = await bootActive(c, c.admin, 'stuck');
    const block = blockRelease(id);
    t.is((await del(id)).status, 204);
    await advanceUntil(async () => (await deadLetters()).some((d) => d.payload.instance_uuid === id));
    const [letter] = (await deadLetters()).filter((d) => d.payload.instance_uuid === id);
    t.like(letter, { to: { kind: 'host', id: 'compute-1' }, type: 'release', attempts: 3 });
    t.regex(letter.reason, /EISDIR|is a directory/i);
    t.is((await show(id)).body.server['OS-EXT-STS:task_state'], 'deleting', 'the server waits; it is not said deleted');

    rmSync(block, { recursive: true });
    const retried = await api('POST', `/v1/dead-letters/${letter.id}/retry`);
    t.is(retried.status, 202);
    t.is(retried.body.dead_letter.id, letter.id);
    t.is(retried.body.dead_letter.retried_as, letter.id, 'sent again under its own id: the inbox still guards it');
    await advanceUntil(async () => (await show(id)).status === 404);
    t.false((await deadLetters()).some((d) => d.id === letter.id));
    t.deepEqual(await api('POST', `/v1/dead-letters/${letter.id}/retry`), {
      status: 404,
      body: { error: error(404, 'Not Found', `Dead letter ${letter.id} not found`) },
    });
  },
);

test.serial('a repeated delete re-drives a release dead-lettered longer than timeouts.actionMs; the operator drops the old letter', async (t) => {
  await clock.advance(WITHIN_MS + 1);
  const id = await bootActive(c, c.admin, 're-driven');
  const block = blockRelease(id);
  t.is((await del(id)).status, 204);
  await advanceUntil(async () => (await deadLetters()).some((d) => d.payload.instance_uuid === id));
  rmSync(block, { recursive: true });
  // Too soon: the host may still hold its release; a second delete changes nothing yet.
  t.is((await del(id)).status, 204);
  await clock.advance(1_000);
  t.is((await show(id)).body.server['OS-EXT-STS:task_state'], 'deleting');
  await clock.advance(ACTION_MS);
  t.is((await del(id)).status, 204);
  await advanceUntil(async () => (await show(id)).status === 404);
  const [letter] = (await deadLetters()).filter((d) => d.payload.instance_uuid === id);
  t.is((await api('DELETE', `/v1/dead-letters/${letter.id}`)).status, 204);
  t.false((await deadLetters()).some((d) => d.id === letter.id));
});

test.serial(
  'a host actor that fails (restart intensity exceeded) is listed failed, its service is down, and the operator restarts it through the CLI',
  async (t) => {
    await clock.advance(WITHIN_MS + 1);
    const ids = [await bootActive(c, c.admin, 'fail-1'), await bootActive(c, c.admin, 'fail-2')];
    const blocks = ids.map(blockRelease);
    for (const id of ids) t.is((await del(id)).status, 204);
    // The live activation is failed as soon as it decides so; its row (status 'failed') lands with the commit just after.
    await advanceUntil(
      async () =>
        (await api('GET', '/v1/actors?status=failed')).body.actors.some((a: any) => a.kind === 'host') && (await service()).state === 'down',
    );
    const [failed] = (await api('GET', '/v1/actors?status=failed')).body.actors.filter((a: any) => a.kind === 'host');
    t.like(failed, { kind: 'host', id: 'compute-1', status: 'failed' });
    t.regex(failed.failure, /EISDIR|is a directory/i);
    t.is((await service()).state, 'down');
    t.like((await api('GET', '/v1/actors/host/compute-1')).body.actor, { status: 'failed' });

    const listed = await cli('actor', 'list', '--status', 'failed');
    t.is(listed.code, 0, listed.stderr);
    t.regex(listed.stdout, /^kind\s+id\s+node\s+status\s+failure/m);
    t.regex(listed.stdout, /^host\s+compute-1\s+\S+\s+failed\s+.*(EISDIR|is a directory)/im);
    const refused = await cli('actor', 'restart', 'nonsense', 'x');
    t.is(refused.code, 1);
    t.is(refused.stderr.trim(), "Error: No actor kind 'nonsense' (HTTP 404)");

    for (const block of blocks) rmSync(block, { recursive: true });
    const restarted = await cli('actor', 'restart', 'host', 'compute-1');
    t.is(restarted.code, 0, restarted.stderr);
    t.regex(restarted.stdout, /^restarted: host\/compute-1/);
    const letters = await cli('dead-letter', 'list', '--kind', 'host');
    t.is(letters.code, 0, letters.stderr);
    const pending = (await deadLetters()).filter((d) => ids.includes(d.payload.instance_uuid));
    t.is(pending.length, 2);
    for (const letter of pending) {
      t.true(letters.stdout.includes(letter.id));
      const retried = await cli('dead-letter', 'retry', letter.id);
      t.is(retried.code, 0, retried.stderr);
      t.regex(retried.stdout, new RegExp(`^sent again: ${letter.id} as [0-9a-f-]{36}`));
    }
    await advanceUntil(
      async () => (await Promise.all(ids.map(show))).every((r) => r.status === 404) && (await service()).state === 'up',
      60_000,
      250,
    );
    t.deepEqual((await api('GET', '/v1/actors?status=failed')).body.actors, []);
  },
);

test.serial(
  'nodes: the cluster as this node sees it (itself alone in the all-in-one), refusals with their bodies, a drain, the gauges and the CLI',
  async (t) => {
    t.deepEqual(await api('GET', '/v1/nodes', null), {
      status: 401,
      body: { error: error(401, 'Unauthorized', 'The request you have made requires authentication.') },
    });
    t.deepEqual(await api('POST', `/v1/nodes/${c.config.nodeId}/drain`, c.demo), {
      status: 403,
      body: { error: error(403, 'Forbidden', 'You are not authorized to perform the requested action: the admin role is required.') },
    });
    t.deepEqual(await api('GET', '/v1/nodes/node-9'), { status: 404, body: { error: error(404, 'Not Found', "No node 'node-9' in the cluster") } });
    t.deepEqual(await api('POST', '/v1/nodes/node-9/drain'), {
      status: 404,
      body: { error: error(404, 'Not Found', "No node 'node-9' in the cluster") },
    });
    t.deepEqual(await api('GET', '/v1/nodes/%00'), { status: 400, body: { error: error(400, 'Bad Request', 'Invalid node id') } });
    t.deepEqual(await api('DELETE', `/v1/nodes/${c.config.nodeId}`), {
      status: 405,
      body: { error: error(405, 'Method Not Allowed', 'Method Not Allowed') },
    });

    const listed = await api('GET', '/v1/nodes');
    t.is(listed.status, 200);
    t.is(listed.body.nodes.length, 1);
    const [self] = listed.body.nodes;
    t.like(self, {
      id: c.config.nodeId,
      self: true,
      status: 'up',
      roles: ['api', 'scheduler', 'compute', 'console', 'network'],
      address: `http://127.0.0.1:${new URL(admin).port}`,
      protocol_version: 1,
      // Its host, every router (it holds the network role) and the console sessions its proxies accept.
      pins: ['host/compute-1', 'router/*', `console/${c.config.nodeId}:*`],
    });
    t.true(Date.parse(self.lease_expires_at) > clock.now(), 'a node that answers holds its lease');
    t.true(self.load.activations >= 2, 'its host and scheduler actors at least');
    t.deepEqual((await api('GET', `/v1/nodes/${c.config.nodeId}`)).body.node.pins, ['host/compute-1', 'router/*', `console/${c.config.nodeId}:*`]);
    const gauges = await (await fetch(`${c.cloud.ops.url}/metrics`)).text();
    t.regex(gauges, /stratus_cluster_nodes\{status="up"\} 1/);
    t.regex(gauges, /stratus_cluster_nodes\{status="draining"\} 0/);

    const shown = await cli('node', 'list');
    t.is(shown.code, 0, shown.stderr);
    t.regex(shown.stdout, new RegExp(`^${c.config.nodeId}\\s+\\*\\s+up\\s+\\["api","scheduler","compute","console","network"\\]`, 'm'));
    t.deepEqual(await cli('node', 'show', 'node-9'), { code: 1, stdout: '', stderr: "Error: No node 'node-9' in the cluster (HTTP 404)" });

    // Alone, a drain has nowhere to hand actors to: the node says it is draining and keeps serving.
    const drained = await cli('node', 'drain', c.config.nodeId);
    t.is(drained.code, 0, drained.stderr);
    t.is(drained.stdout.trim(), `draining: ${c.config.nodeId} (draining)`);
    t.like((await api('GET', `/v1/nodes/${c.config.nodeId}`)).body.node, { status: 'draining' });
    t.regex(await (await fetch(`${c.cloud.ops.url}/metrics`)).text(), /stratus_cluster_nodes\{status="draining"\} 1/);
    t.is((await c.nova.call('GET', '/v2.1/servers', { token: c.admin })).status, 200);
  },
);
