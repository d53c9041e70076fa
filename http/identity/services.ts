import type { Models } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { Catalog } from './catalog.js';
import type { Directory } from './directory.js';
import type { SecretBox } from './secrets.js';
import type { AuthContext, TokenService } from './tokens.js';
import type { RequestState } from '../correlation.js';

/** What the identity routes work with. */
export interface IdentityServices {
  readonly models: Models;
  readonly directory: Directory;
  readonly tokens: TokenService;
  readonly catalog: Catalog;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  /** The public `/v3` URL, for links. */
  readonly v3Url: () => string;
}

export interface IdentityState extends RequestState { auth?: AuthContext }

/** The caller's validated token, from `X-Auth-Token`. */
export const authenticate = (s: IdentityServices, ctx: { get(header: string): string }) => s.tokens.context(ctx.get('x-auth-token'));

/** Keystone's ids: UUIDs without dashes. */
export const newId = () => crypto.randomUUID().replace(/-/g, '');

/** A query-string filter, for routes that take `?name=` and the like. */
export const filter = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Keystone accepts `enabled=true|false` (and 1/0) in list filters. */
export const enabledFilter = (value: unknown): boolean | undefined =>
  value === undefined ? undefined : ['true', '1', 'True'].includes(String(value));
