import Router from '@koa/router';
import { createHash } from 'node:crypto';
import type { NodeInfo } from '../../../runtime/cluster/types.js';
import { notFound } from '../errors.js';
import { select } from '../list.js';
import { authenticate, type NetworkServices, type NetworkState } from '../services.js';
import { fieldsOf } from './networks.js';

/** The Neutron agents Stratus's parts stand for on a node with the `network` role (routers, DHCP, metadata, the L2 bridge). */
const AGENTS = [
  { agent_type: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent', zoned: true },
  { agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', zoned: true },
  { agent_type: 'Metadata agent', binary: 'neutron-metadata-agent', topic: 'N/A', zoned: false },
  { agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A', zoned: false },
] as const;

// A stable id per node and agent: the same on every API node and across restarts.
const agentId = (node: string, binary: string) => {
  const h = createHash('sha1').update(`stratus-agent:${node}:${binary}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function agentsOf(nodes: readonly NodeInfo[], now: number) {
  return nodes
    .filter((n) => n.roles.includes('network') && n.status !== 'left')
    .flatMap((n) =>
      AGENTS.map((a) => ({
        id: agentId(n.nodeId, a.binary),
        agent_type: a.agent_type,
        binary: a.binary,
        topic: a.topic,
        host: n.nodeId,
        admin_state_up: true,
        // Alive while the node's lease runs, as Neutron counts an agent alive while its reports arrive.
        alive: n.status !== 'down' && n.leaseExpiresAt > now,
        availability_zone: a.zoned ? 'nova' : null,
        configurations: {},
        created_at: iso(n.startedAt),
        started_at: iso(n.startedAt),
        heartbeat_timestamp: iso(Math.min(now, n.leaseExpiresAt)),
        description: null,
        resources_synced: null,
      })),
    );
}

/** `/v2.0/agents` (admin; others get an empty list, as Neutron's policy filters them out). */
export function agentRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/agents' });
  const visible = (admin: boolean) => (admin && s.clusterNodes ? agentsOf(s.clusterNodes(), s.clock.now()) : []);
  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const filters = Object.entries(ctx.query).filter(([k]) => ['agent_type', 'binary', 'host', 'topic', 'id', 'alive'].includes(k));
    const agents = visible(auth.isAdmin).filter((a) =>
      filters.every(([k, v]) => [v ?? []].flat().some((x) => x.toLowerCase() === String((a as Record<string, unknown>)[k]).toLowerCase())),
    );
    ctx.body = { agents: agents.map((a) => select(fieldsOf(ctx.query.fields), a)) };
  });
  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const agent = visible(auth.isAdmin).find((a) => a.id === ctx.params.id);
    if (!agent) throw notFound('AgentNotFound', `Agent ${ctx.params.id} could not be found.`);
    ctx.body = { agent: select(fieldsOf(ctx.query.fields), agent) };
  });
  return router;
}
