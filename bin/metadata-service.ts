import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Database } from '../models/database.js';
import { readRow } from '../models/typed.js';
import { configDriveFiles } from '../drivers/qemu/config-drive.js';
import { callerLookup } from '../http/metadata/callers.js';
import { listenUnix, metadataServer } from '../http/metadata/server.js';
import { guestMetadataOf } from './guest-metadata.js';

/**
 * The metadata service composed: callers found in the Networking API's tables, documents made as the config drive
 * makes them (the same fields, so a guest reads the same from either), on a UNIX socket only the proxies reach.
 */
export async function startMetadataService(db: Database, socketPath: string, secret: string, log: Logger): Promise<Server> {
  const server = metadataServer(
    {
      secret,
      resolve: callerLookup(db.models),
      documents: async (uuid) => {
        const row = await readRow(db.models.Instance, { where: { uuid } });
        if (!row || row.deleted_at) return new Map();
        return configDriveFiles(await guestMetadataOf(db, row, []));
      },
    },
    log,
  );
  await listenUnix(server, socketPath);
  return server;
}
