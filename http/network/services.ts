import type { Context } from 'koa';
import { QueryTypes, Transaction } from 'sequelize';
import type { Models } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import { readJson } from '../body.js';
import type { RequestState } from '../correlation.js';
import type { AuthContext, TokenService } from '../identity/index.js';
import { permits } from '../../services/identity/index.js';
import type { NodeInfo } from '../../runtime/cluster/types.js';
import type { NetworkActors } from './actors.js';
import { NeutronError, httpError } from './errors.js';

export interface NetworkServices {
  readonly models: Models;
  readonly tokens: TokenService;
  readonly clock: Clock;
  /** Where clients reach this service (the catalog's URL), for version documents. */
  readonly publicUrl: () => string;
  /** The network and router actors: networks, subnets and routers change only through them. */
  readonly actors: NetworkActors;
  /** The cluster's nodes, for `/v2.0/agents` (a node with the `network` role runs Neutron's agents' parts). */
  readonly clusterNodes?: () => readonly NodeInfo[];
}

/** The tables and the clock: what a network's writes need, on any node (no tokens, no URLs). */
export type NetworkData = Pick<NetworkServices, 'models' | 'clock'>;

export interface NetworkState extends RequestState {
  auth?: AuthContext;
  /** The body already read (by the bulk create, or one item of it), which `jsonBody` answers instead of the stream. */
  body?: { value: unknown };
}

/** The caller's validated token; an application credential's access rules are checked as keystonemiddleware checks them (401 outside them). */
export async function authenticate(s: NetworkServices, ctx: { get(header: string): string; method: string; path: string }): Promise<AuthContext> {
  const auth = await s.tokens.context(ctx.get('x-auth-token'));
  if (!permits(auth.accessRules, 'network', ctx.method, ctx.path)) throw httpError(401, 'The request you have made requires authentication.');
  return auth;
}

/** A JSON request body; unreadable ones are Neutron's 400 (or 413). */
export async function jsonBody(ctx: Context): Promise<unknown> {
  const given = (ctx.state as NetworkState).body;
  if (given) return given.value;
  try {
    return await readJson(ctx);
  } catch (error) {
    const status = (error as { status?: number }).status ?? 400;
    const message = (error as Error).message;
    // Neutron's own words for a body that is no JSON; the bounds (size, depth, NUL) say which one was passed.
    throw error instanceof NeutronError
      ? error
      : httpError(status, message === 'request body is not valid JSON' ? 'Malformed request body' : message);
  }
}

export const now = (s: NetworkData) => new Date(s.clock.now());

// SQLite's network writes of this process, one after another (a connection waiting for SQLite's write lock
// blocks a libuv thread; many would take them all).
const sqliteTurns = new WeakMap<object, Promise<unknown>>();

/**
 * A write whose decision rests on what it read (a free address, a quota, a CIDR that overlaps nothing), one at
 * a time per key across every API node: SQLite's write lock taken at BEGIN, or PostgreSQL transaction-scoped
 * advisory locks on the keys, taken in sorted order so two writers never wait on each other crosswise.
 */
export function serialized<T>(s: NetworkData, keys: readonly string[], work: (transaction: Transaction) => Promise<T>): Promise<T> {
  const sequelize = s.models.NeutronNetwork.sequelize!;
  if (sequelize.getDialect() === 'sqlite') {
    const run = (sqliteTurns.get(sequelize) ?? Promise.resolve()).then(() => sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, work));
    sqliteTurns.set(
      sequelize,
      run.catch(() => {}),
    );
    return run;
  }
  return sequelize.transaction(async (transaction) => {
    for (const key of [...new Set(keys)].sort()) {
      await sequelize.query("SELECT pg_advisory_xact_lock(hashtext('neutron:' || :key))", {
        replacements: { key },
        type: QueryTypes.SELECT,
        transaction,
      });
    }
    return work(transaction);
  });
}

export const json = <T>(text: string): T => JSON.parse(text) as T;
