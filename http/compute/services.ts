import type { ConsoleSettings } from '../../services/compute/consoles.js';
import type { Context } from 'koa';
import type { ComputeDeps } from '../../services/compute/deps.js';
import { authorize as authorizeCaller, permits as callerPermits, type RoleLevel } from '../../services/compute/policy.js';
import type { Caller, IdentityService } from '../../services/identity/index.js';
import type { RequestState } from '../correlation.js';
import { readJson } from '../body.js';
import { badRequest } from './errors.js';
import type { VersionState } from './microversion.js';

export type { ActorGateway } from '../../runtime/client.js';
export type { QuotaDefaults } from '../../services/compute/quotas.js';

/**
 * What the Compute API works with: the compute service's dependencies (it calls the service with
 * them), identity through its interface, and what only the API needs.
 */
export interface ComputeServices extends ComputeDeps {
  /** Tokens and projects: identity's interface, not its tables. */
  readonly identity: IdentityService;
  /** This node's name: the host of the API's own instance action events (Nova's CONF.host). */
  readonly nodeId: string;
  readonly serviceDownMs: number;
  /**
   * In a cluster, whether the node a service runs on is gone (its lease lapsed): its services are down at once,
   * not after serviceDownMs of silence. `host` is a compute host or a scheduler node's name.
   */
  readonly nodeGone?: (binary: 'nova-compute' | 'nova-scheduler', host: string) => boolean;
  /** The API's public base URL (no trailing slash), for links. */
  readonly publicUrl: () => string;
  /** The console proxies' URLs and the token TTL; absent: no console is available (Nova's ConsoleTypeUnavailable). */
  readonly consoles?: ConsoleSettings;
}

export interface ComputeState extends RequestState, VersionState {
  auth: Caller;
  project: string;
}

export type ComputeContext = Context & { state: ComputeState; params: Record<string, string> };

/** Nova's default policies (the compute service's), for the request's caller. */
export const authorize = (ctx: ComputeContext, rule: string, level: RoleLevel): void => authorizeCaller(ctx.state, rule, level);

/** Whether the caller holds a role at `level`, for what a view shows rather than refuses (Nova's `fatal=False`). */
export const permits = (ctx: ComputeContext, level: RoleLevel): boolean => callerPermits(ctx.state, level);

/** The JSON body as sent (undefined when empty), or Nova's 400 when it is not JSON. */
export async function requestBody(ctx: Context): Promise<unknown> {
  try {
    return await readJson(ctx);
  } catch (error) {
    throw Object.assign(
      badRequest((error as Error).message === 'request body is not valid JSON' ? 'Malformed request body' : (error as Error).message),
      { status: (error as { status?: number }).status ?? 400 },
    );
  }
}

/** Nova's `self` and `bookmark` links for a resource. */
export const links = (s: ComputeServices, path: string) => [
  { rel: 'self', href: `${s.publicUrl()}/v2.1/${path}` },
  { rel: 'bookmark', href: `${s.publicUrl()}/${path}` },
];

// A UTC timestamp as SQLite hands it back ('2026-11-25 09:37:29.123 +00:00'): read by position, not by Date.
const utcText = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d{1,6})?(?: ?\+00:00|Z)$/;

function parts(d: Date | string): [string, string, string] {
  const m = typeof d === 'string' ? utcText.exec(d) : null;
  if (m) return [m[1], m[2], (m[3] ?? '.').slice(1)];
  const iso = new Date(d).toISOString();
  return [iso.slice(0, 10), iso.slice(11, 19), iso.slice(20, 23)];
}

/** Nova's timestamp forms: `2026-11-25T09:37:29Z` in most places, microseconds without a zone in OS-SRV-USG. */
export const isoSeconds = (d: Date | string | null | undefined) => {
  if (!d) return null;
  const [day, time] = parts(d);
  return `${day}T${time}Z`;
};
export const isoMicros = (d: Date | string | null | undefined) => {
  if (!d) return null;
  const [day, time, fraction] = parts(d);
  return `${day}T${time}.${fraction.padEnd(6, '0')}`;
};
