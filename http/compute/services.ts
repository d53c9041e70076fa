import type { Context } from 'koa';
import type { Models } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { ActorRef } from '../../runtime/ref.js';
import type { RequestState } from '../correlation.js';
import type { AuthContext, TokenService } from '../identity/index.js';
import type { ImageRepository } from '../images/repository.js';
import { readJson } from '../body.js';
import { badRequest, forbidden } from './errors.js';
import type { VersionState } from './microversion.js';

/** How the compute API reaches the actors: by their protocols, never by their objects. */
export interface ActorGateway {
  ask<R = unknown>(to: ActorRef, type: string, payload: unknown, options?: { correlationId?: string; commitOnly?: boolean }): Promise<R>;
  /** Introspection: whether the actor is live on this node. */
  isActive?(ref: ActorRef): boolean;
}

export interface QuotaDefaults { readonly instances: number; readonly cores: number; readonly ramMb: number; readonly keyPairs: number }

export interface ComputeServices {
  readonly models: Models;
  readonly tokens: TokenService;
  readonly images: ImageRepository;
  readonly actors: ActorGateway;
  readonly clock: Clock;
  /** The scheduler actor this API node hands boots to. */
  readonly scheduler: string;
  /** This node's name: the host of the API's own instance action events (Nova's CONF.host). */
  readonly nodeId: string;
  readonly quotas: QuotaDefaults;
  readonly serviceDownMs: number;
  /** The API's public base URL (no trailing slash), for links. */
  readonly publicUrl: () => string;
}

export interface ComputeState extends RequestState, VersionState { auth: AuthContext; project: string }

export type ComputeContext = Context & { state: ComputeState };

/** Nova's default policies: readers read, members change their project's servers, admins do the rest. */
export function authorize(ctx: ComputeContext, rule: string, level: 'reader' | 'member' | 'admin'): void {
  if (!permits(ctx, level)) throw forbidden(rule);
}

/** Whether the caller holds a role at `level`, for what a view shows rather than refuses (Nova's `fatal=False`). */
export function permits(ctx: ComputeContext, level: 'reader' | 'member' | 'admin'): boolean {
  const { roles, isAdmin } = ctx.state.auth;
  return isAdmin || (level === 'reader' ? roles.includes('reader') || roles.includes('member') : level === 'member' ? roles.includes('member') : false);
}

/** The JSON body as sent (undefined when empty), or Nova's 400 when it is not JSON. */
export async function requestBody(ctx: Context): Promise<unknown> {
  try {
    return await readJson(ctx);
  } catch (error) {
    throw Object.assign(badRequest((error as Error).message === 'request body is not valid JSON' ? 'Malformed request body' : (error as Error).message),
      { status: (error as { status?: number }).status ?? 400 });
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
