import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../cluster.config.js';
import type { Database } from '../models/database.js';
import { desiredDataPlane } from '../actors/dataplane/desired.js';
import type { DataPlaneDeps } from '../actors/dataplane/index.js';
import { cloudIdOf } from '../drivers/dataplane/names.js';
import { reconcile } from '../drivers/dataplane/reconcile.js';
import { startMetadataService } from './metadata-service.js';

/** `dataplane.enabled`: auto programs the kernel only where it may (root) and can (`ip` on the PATH). */
export function dataPlaneEnabled(config: Config, env: NodeJS.ProcessEnv = process.env): boolean {
  if (config.dataplane.enabled !== 'auto') return config.dataplane.enabled === 'on';
  const root = process.getuid?.() === 0;
  const ip = (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, 'ip')));
  return root && ip;
}

/** Where the metadata service and its secret live in the state directory. */
export const metadataPaths = (stateDir: string) => ({
  socketPath: join(stateDir, 'metadata', 'metadata.sock'),
  secretFile: join(stateDir, 'metadata', 'secret'),
});

/** The proxies' signing secret: made once per state directory (0600), read on every later start. */
export function metadataSecret(secretFile: string): string {
  if (existsSync(secretFile)) {
    const kept = readFileSync(secretFile, 'utf8').trim();
    if (kept.length >= 32) return kept;
  }
  mkdirSync(join(secretFile, '..'), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(secretFile, secret, { mode: 0o600 });
  return secret;
}

export interface NodeDataPlane {
  readonly deps: DataPlaneDeps;
  readonly metadata: Server;
  /** The cloud's id on this machine (its names' prefix), for an operator or a test to find its devices. */
  readonly cloudId: string;
}

/**
 * This node's data plane: the metadata service on its socket, and what the data-plane actor reads (the plan of
 * the compute hosts this node drives) and drives (the reconcile drivers).
 */
export async function startNodeDataPlane(config: Config, db: Database, hostIds: readonly string[], log: Logger): Promise<NodeDataPlane> {
  const paths = metadataPaths(config.stateDir);
  const secret = metadataSecret(paths.secretFile);
  const metadata = await startMetadataService(db, paths.socketPath, secret, log);
  const cloudId = cloudIdOf(config.stateDir);
  const stateDir = join(config.stateDir, 'dataplane');
  return {
    cloudId,
    metadata,
    deps: {
      plan: () => desiredDataPlane(db.models, { cloudId, stateDir, hostIds, metadata: paths }),
      apply: (plan) => reconcile(plan),
    },
  };
}
