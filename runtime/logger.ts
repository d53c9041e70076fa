import { pino, type Logger } from 'pino';

export type { Logger };

// Fields that carry credentials or a user's secrets, wherever a log call puts them (top level or one object down).
const SECRET_FIELDS = [
  'password',
  // A guest's VNC password, in a domain spec or its XML's attribute name.
  'vncPassword',
  'passwd',
  'adminPass',
  'admin_pass',
  'user_data',
  'userData',
  'token',
  'secret',
  'private_key',
  'privateKey',
  'credentials',
  'blob',
  'sql',
  'script',
  'headers["x-auth-token"]',
  'headers["x-subject-token"]',
  'headers.authorization',
  'headers.cookie',
];
export const REDACTED_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)];

/**
 * An error as a log line may show it: its class, message, code and stack, and its causes so. A database error
 * also carries the statement it failed on (`sql`, `parameters`, `parent`, `original`: the store's scripts hold
 * every value literally, user data and key material included) and a validation error the offending values:
 * none of that is logged.
 */
export function safeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? { message: error } : error;
  const e = error as Error & { code?: unknown; kind?: unknown; cause?: unknown };
  const out: Record<string, unknown> = { type: e.constructor?.name ?? 'Error', message: e.message, stack: e.stack };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.kind === 'string') out.kind = e.kind;
  if (e.cause !== undefined && depth < 3) out.cause = safeError(e.cause, depth + 1);
  return out;
}

export const createLogger = (level: string, destination?: pino.DestinationStream): Logger =>
  pino(
    {
      level,
      base: { service: 'stratus' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: (error: unknown) => safeError(error) },
    },
    destination,
  );

/** A logger that writes nothing, for tests and benchmarks. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
