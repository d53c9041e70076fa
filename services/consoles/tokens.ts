import { createHash, randomUUID } from 'node:crypto';
import { Op } from 'sequelize';
import type { ConsoleAuthTokenRow, Models } from '../../models/index.js';
import { readRow, readRows } from '../../models/typed.js';

// Console tokens as Nova keeps them (nova/objects/console_auth_token.py): the token is handed out once and only its
// SHA-256 is stored; it opens its console until it expires, as often as it is presented. A token whose server was
// deleted or moved to another host opens nothing and is removed.

export type ConsoleType = 'novnc' | 'spice-html5' | 'serial';

export const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export interface IssuedToken {
  readonly token: string;
  readonly row: ConsoleAuthTokenRow;
}

export interface TokenRequest {
  readonly consoleType: ConsoleType;
  readonly instanceUuid: string;
  readonly computeHost: string;
  /** Where the guest's console listens as its compute node reaches it. */
  readonly host: string;
  readonly port: number;
  readonly ttlMs: number;
}

/** A new token for a console: the row with its hash, and the token itself, never stored. */
export async function issueToken(models: Models, r: TokenRequest, now: number): Promise<IssuedToken> {
  const token = randomUUID();
  const row: ConsoleAuthTokenRow = {
    id: randomUUID(),
    token_hash: tokenHash(token),
    console_type: r.consoleType,
    host: r.host,
    port: r.port,
    internal_access_path: null,
    instance_uuid: r.instanceUuid,
    compute_host: r.computeHost,
    expires: new Date(now + r.ttlMs),
    created_at: new Date(now),
    updated_at: new Date(now),
  };
  await models.ConsoleAuthToken.create(row);
  return { token, row };
}

/** Why a presented token opens nothing. */
export type TokenRefusal = 'unknown' | 'expired' | 'gone' | 'moved' | 'type';

/**
 * The token's row if it opens a console of `type` now (its server not deleted and still on the host it was issued
 * for); else why not. A token found worthless because its server is gone or moved is removed at once.
 */
export async function validToken(
  models: Models,
  token: string,
  type: ConsoleType | readonly ConsoleType[],
  now: number,
): Promise<{ row: ConsoleAuthTokenRow } | { refused: TokenRefusal }> {
  // A token is a UUID: anything longer is not hashed, nor looked up.
  if (token.length === 0 || token.length > 64) return { refused: 'unknown' };
  const row = await readRow(models.ConsoleAuthToken, { where: { token_hash: tokenHash(token) } });
  if (!row) return { refused: 'unknown' };
  if (new Date(row.expires).getTime() <= now) return { refused: 'expired' };
  const types: readonly string[] = typeof type === 'string' ? [type] : type;
  if (!types.includes(row.console_type)) return { refused: 'type' };
  const server = await readRow(models.Instance, { where: { uuid: row.instance_uuid }, attributes: ['uuid', 'host', 'deleted_at'] });
  if (!server || server.deleted_at || server.host !== row.compute_host) {
    await models.ConsoleAuthToken.destroy({ where: { id: row.id } });
    return { refused: !server || server.deleted_at ? 'gone' : 'moved' };
  }
  return { row };
}

/** The row of a token not yet expired, whatever its type (the admin API's check). */
export async function tokenRow(models: Models, token: string, now: number): Promise<ConsoleAuthTokenRow | undefined> {
  if (token.length === 0 || token.length > 255) return undefined;
  const row = await readRow(models.ConsoleAuthToken, { where: { token_hash: tokenHash(token), expires: { [Op.gt]: new Date(now) } } });
  return row ?? undefined;
}

/**
 * Removes expired tokens, and those whose server was deleted or moved to another host (Nova's
 * clean_expired_console_auths and clean_console_auths_for_instance). Answers how many went.
 */
export async function sweepTokens(models: Models, now: number, batch = 500): Promise<number> {
  let removed = await models.ConsoleAuthToken.destroy({ where: { expires: { [Op.lte]: new Date(now) } } });
  const live = await readRows(models.ConsoleAuthToken, { attributes: ['id', 'instance_uuid', 'compute_host'], limit: batch });
  if (live.length === 0) return removed;
  const uuids = [...new Set(live.map((t) => t.instance_uuid))];
  const servers = await readRows(models.Instance, { where: { uuid: uuids }, attributes: ['uuid', 'host', 'deleted_at'] });
  const byUuid = new Map(servers.map((s) => [s.uuid, s]));
  const stale = live.filter((t) => {
    const s = byUuid.get(t.instance_uuid);
    return !s || s.deleted_at || s.host !== t.compute_host;
  });
  if (stale.length) removed += await models.ConsoleAuthToken.destroy({ where: { id: stale.map((t) => t.id) } });
  return removed;
}
