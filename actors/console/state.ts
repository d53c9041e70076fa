import type { Static } from '@sinclair/typebox';
import type { ConsoleRow } from '../../models/console.js';
import type { consoleProtocol } from './protocol.js';

export type { ConsoleRow };
export type OpenConsole = Static<(typeof consoleProtocol.spec)['open']['payload']>;

export const opened = (id: string, p: OpenConsole, now: number): ConsoleRow => ({
  id,
  instance_uuid: p.instance_uuid,
  protocol: p.protocol,
  console_type: p.console_type,
  host: p.host,
  port: p.port,
  status: 'open',
  expires_at: new Date(now + p.ttl_ms),
  created_at: new Date(now),
  updated_at: new Date(now),
});

export const closed = (s: ConsoleRow, now: number): ConsoleRow => ({ ...s, status: 'closed', updated_at: new Date(now) });

export const failed = (s: ConsoleRow, now: number): ConsoleRow => ({ ...s, status: 'failed', updated_at: new Date(now) });

/**
 * The console as a reader should see it: an open session past its expiry is 'expired'.
 * Expiry is computed on read, since nothing writes when a token's time runs out.
 */
export const asSeenAt = (s: ConsoleRow, now: number): ConsoleRow =>
  s.status === 'open' && now >= new Date(s.expires_at).getTime() ? { ...s, status: 'expired' } : s;
