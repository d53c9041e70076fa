import { pino, type Logger } from 'pino';

export type { Logger };

export const createLogger = (level: string, destination?: pino.DestinationStream): Logger =>
  pino({ level, base: { service: 'stratus' } }, destination);

/** A logger that writes nothing, for tests and benchmarks. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
