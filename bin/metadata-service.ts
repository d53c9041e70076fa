import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Database } from '../models/database.js';
import { readRow } from '../models/typed.js';
import { configDriveFiles } from '../drivers/qemu/config-drive.js';
import { callerLookup } from '../http/metadata/callers.js';
import { listenUnix, metadataServer } from '../http/metadata/server.js';
import { guestMetadataOf } from './guest-metadata.js';

/** Nova's default `[api] metadata_cache_expiration`: what a guest reads may be this old. */
export const METADATA_CACHE_MS = 15_000;
const CACHE_ENTRIES = 10_000;

/** Answers kept for a while, at most CACHE_ENTRIES (the oldest go first); a failed lookup is not kept. */
class TtlCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}
  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    this.entries.delete(key);
    const value = load();
    this.entries.set(key, { at: this.now(), value });
    value.catch(() => this.entries.delete(key));
    while (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}

/**
 * The metadata service composed: callers found in the Networking API's tables, documents made as the config drive
 * makes them (the same fields, so a guest reads the same from either), on a UNIX socket only the proxies reach.
 * Callers and documents are kept `cacheMs` (Nova's metadata cache), so a guest polling costs no queries.
 */
export async function startMetadataService(
  db: Database,
  socketPath: string,
  secret: string,
  log: Logger,
  options: { cacheMs?: number; now?: () => number } = {},
): Promise<Server> {
  const lookup = callerLookup(db.models);
  const ttl = options.cacheMs ?? METADATA_CACHE_MS;
  const now = options.now ?? Date.now;
  const callers = new TtlCache<Awaited<ReturnType<typeof lookup>>>(ttl, now);
  const documents = new TtlCache<ReadonlyMap<string, Buffer>>(ttl, now);
  const server = metadataServer(
    {
      secret,
      resolve: (kind, id, address) => callers.get(`${kind}:${id}:${address}`, () => lookup(kind, id, address)),
      documents: (uuid) =>
        documents.get(uuid, async () => {
          const row = await readRow(db.models.Instance, { where: { uuid } });
          if (!row || row.deleted_at) return new Map();
          return configDriveFiles(await guestMetadataOf(db, row, []));
        }),
    },
    log,
  );
  await listenUnix(server, socketPath);
  return server;
}
