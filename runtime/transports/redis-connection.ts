import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Clock, Timer } from '../clock.js';
import { ActorError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface ConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  readonly url: string;
  /** The CA that signed the server's certificate, for `rediss://` with a private CA. */
  readonly caFile?: string;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
}

/** Where a URL points, without its credentials: what messages and logs may show. */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'redis (unparsable URL)';
  }
}

/**
 * A writer fails fast while Redis is away (a sender is told 'unavailable' at once, never queued behind a
 * dead socket, and a write cut off mid-flight is not replayed out of order); a reader waits and resends
 * its blocking read after a reconnect.
 */
export function redisConnection(options: ConnectionOptions, role: 'writer' | 'reader', name: string): Redis {
  const tls = options.url.startsWith('rediss://') ? (options.caFile ? { ca: readFileSync(options.caFile) } : {}) : undefined;
  const connection = new Redis(options.url, {
    lazyConnect: true,
    connectionName: name,
    connectTimeout: options.connectTimeoutMs,
    ...(tls ? { tls } : {}),
    enableOfflineQueue: role === 'reader',
    autoResendUnfulfilledCommands: role === 'reader',
    maxRetriesPerRequest: role === 'reader' ? null : 0,
    retryStrategy: (times: number) => Math.min(50 * times, 1_000),
  });
  const where = redisAddress(options.url);
  let reported = false;
  // Without a listener ioredis prints every reconnect failure; one warning per outage is enough.
  connection.on('error', (err: Error) => {
    if (!reported) options.logger.warn({ err, redis: where, connection: name }, 'Redis connection failed; retrying');
    reported = true;
  });
  connection.on('ready', () => {
    if (reported) options.logger.info({ redis: where, connection: name }, 'Redis connection restored');
    reported = false;
  });
  return connection;
}

/** Connects, or throws ActorError('unavailable') naming the address and the reason (credentials, TLS, refused). */
export async function connected(connection: Redis, options: ConnectionOptions, clock: Clock): Promise<void> {
  if (connection.status === 'ready') return;
  const where = redisAddress(options.url);
  let timer: Timer | undefined;
  // connect() itself often rejects with a bare 'Connection is closed': the error event says why.
  let cause: Error | undefined;
  const onError = (error: Error) => {
    cause ??= error;
  };
  connection.on('error', onError);
  // A connection this call starts is stopped again if it fails; one already reconnecting keeps at it.
  const initiated = connection.status === 'wait' || connection.status === 'end';
  try {
    await Promise.race([
      initiated ? connection.connect() : waitReady(connection),
      new Promise((_, reject) => {
        timer = clock.setTimeout(() => reject(new Error(`no connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
      }),
    ]);
  } catch (error) {
    const reason = (cause ?? (error as Error)).message;
    if (initiated) connection.disconnect();
    throw new ActorError('unavailable', `cannot reach Redis at ${where}: ${reason}`);
  } finally {
    connection.off('error', onError);
    clock.clearTimeout(timer);
  }
}

const waitReady = (connection: Redis) =>
  new Promise<void>((resolve, reject) => {
    const onReady = () => {
      connection.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      connection.off('ready', onReady);
      reject(new Error('the connection was closed'));
    };
    connection.once('ready', onReady);
    connection.once('end', onEnd);
  });

export const isNoGroup = (error: unknown) => error instanceof Error && error.message.startsWith('NOGROUP');
