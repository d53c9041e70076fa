import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { networkActors, networkApp, networkOps, routerOps } from '../../http/network/index.js';
import type { NodeInfo } from '../../runtime/cluster/types.js';
import { ActorNode } from '../../runtime/node.js';
import { SqlStore } from '../../runtime/stores/sql-store.js';
import { InProcessTransport } from '../../runtime/transports/in-process.js';
import { superviseNetworks } from '../../supervisors/network.js';
import { testPolicy } from './runtime.js';
import { listen } from '../../http/listen.js';
import { SystemClock } from '../../runtime/clock.js';
import { silentLogger } from '../../runtime/logger.js';
import { createTestDatabase } from './database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startIdentityServer } from './identity.js';

/** Identity plus the Networking API on its own port, in the catalog as the cloud wires it; tokens for admin, demo and more. */
export async function startNetworkServer(
  name: string,
  options: { crashOnce?: (kind: string, type: string) => boolean; clusterNodes?: () => readonly NodeInfo[] } = {},
) {
  const database = await createTestDatabase(name);
  const identity = await startIdentityServer(database.url);
  const clock = new SystemClock();
  // The network and router actors on a node of their own over the same database, as the cloud supervises them.
  const store = new SqlStore(identity.db, { maxBatch: 500, crashHistory: 5, now: () => clock.now() });
  const node = new ActorNode({
    nodeId: 'net-node',
    store,
    transport: new InProcessTransport(),
    clock,
    logger: silentLogger(),
    requestTimeoutMs: 30_000,
    passivationSweepMs: 1_000,
    recentMessages: 8,
  });
  const data = { models: identity.db.models, clock };
  const crash = options.crashOnce ? { crashOnce: options.crashOnce } : {};
  superviseNetworks(
    node,
    { supervision: { ...testPolicy, backoffBaseMs: 10, backoffMaxMs: 50 }, passivateAfterMs: 60_000 },
    { network: { ops: networkOps(data), ...crash }, router: { ops: routerOps(data), ...crash } },
  );
  await node.start();
  let url = '';
  const server = await listen(
    networkApp(
      {
        models: identity.db.models,
        tokens: identity.identity.services.tokens,
        clock,
        publicUrl: () => url,
        actors: networkActors(node),
        clusterNodes: options.clusterNodes,
      },
      silentLogger(),
    ),
    '127.0.0.1',
    0,
  );
  url = server.url;
  identity.identity.services.catalog.register({ type: 'network', name: 'neutron', url: () => url });
  const keystone = client(identity.url);
  const admin = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await keystone.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const neutron = client(url);
  /** A new user with `role` on a project (made when missing), logged in there. */
  const user = async (userName: string, role: string, projectName: string) => {
    let projects = (await keystone.call('GET', '/v3/projects', { token: admin })).body.projects as Array<{ id: string; name: string }>;
    if (!projects.some((p) => p.name === projectName)) {
      await keystone.call('POST', '/v3/projects', { token: admin, body: { project: { name: projectName, domain_id: 'default' } } });
      projects = (await keystone.call('GET', '/v3/projects', { token: admin })).body.projects;
    }
    const projectId = projects.find((p) => p.name === projectName)!.id;
    const created = await keystone.call('POST', '/v3/users', { token: admin, body: { user: { name: userName, password: `${userName}-secret` } } });
    const roleId = (await keystone.call('GET', '/v3/roles', { token: admin })).body.roles.find((r: { name: string }) => r.name === role).id;
    await keystone.call('PUT', `/v3/projects/${projectId}/users/${created.body.user.id}/roles/${roleId}`, { token: admin });
    return { token: (await keystone.login(userName, `${userName}-secret`, projectName)).token!, projectId, password: `${userName}-secret` };
  };
  const projectId = async (projectName: string) =>
    ((await keystone.call('GET', '/v3/projects', { token: admin })).body.projects as Array<{ id: string; name: string }>).find(
      (p) => p.name === projectName,
    )!.id;
  return {
    url,
    identity,
    keystone,
    neutron,
    admin,
    demo,
    user,
    projectId,
    cloudsYaml: join(identity.stateDir, 'clouds.yaml'),
    node,
    done: async () => {
      await server.close();
      await node.stop();
      await identity.stop();
      await database.drop();
    },
  };
}

interface Answer {
  status: number;
  body: any;
}

/** The Networking API's refusal: `{"NeutronError": {"type", "message", "detail"}}`. */
export function neutronRefused(t: ExecutionContext, r: Answer, status: number, type: string, message: string | RegExp): void {
  t.is(r.status, status, JSON.stringify(r.body));
  t.deepEqual(Object.keys(r.body ?? {}), ['NeutronError'], JSON.stringify(r.body));
  t.is(r.body?.NeutronError?.type, type, JSON.stringify(r.body));
  t.is(r.body?.NeutronError?.detail, '');
  if (typeof message === 'string') t.is(r.body?.NeutronError?.message, message);
  else t.regex(r.body?.NeutronError?.message ?? '', message);
}
