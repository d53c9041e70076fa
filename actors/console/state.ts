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
  expires_at: new Date(p.expires_at),
  node: p.node,
  token_id: p.token_id,
  bytes_to_guest: 0,
  bytes_to_client: 0,
  ended_at: null,
  end_reason: null,
  created_at: new Date(now),
  updated_at: new Date(now),
});

export const closed = (s: ConsoleRow, now: number, reason: string, bytes: { toGuest: number; toClient: number }): ConsoleRow => ({
  ...s,
  status: 'closed',
  end_reason: reason,
  bytes_to_guest: bytes.toGuest,
  bytes_to_client: bytes.toClient,
  ended_at: new Date(now),
  updated_at: new Date(now),
});

export const failed = (s: ConsoleRow, now: number): ConsoleRow => ({ ...s, status: 'failed', updated_at: new Date(now) });

/**
 * The console as a reader should see it: an open session past its expiry is 'expired'.
 * Expiry is computed on read, since nothing writes when a token's time runs out.
 */
export const asSeenAt = (s: ConsoleRow, now: number): ConsoleRow =>
  s.status === 'open' && now >= new Date(s.expires_at).getTime() ? { ...s, status: 'expired' } : s;
