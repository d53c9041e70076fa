import { readFileSync } from 'node:fs';
import client from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../cluster.config.js';
import type { Database } from '../models/database.js';
import type { Clock } from '../runtime/clock.js';
import type { ActorGateway } from '../runtime/client.js';
import { computeActors } from '../services/compute/actors.js';
import { FailedTokens } from '../http/console/failed-tokens.js';
import { startConsoleProxy, type ConsoleProxy } from '../http/console/proxy.js';
import { ConsoleSessions } from '../http/console/sessions.js';
import type { ConsoleType } from '../services/consoles/tokens.js';

// A console node's proxies (noVNC, SPICE, serial, on Nova's ports), their shared session registry and its metrics.
// The guest's console is asked of its host actor at each connection (where it listens now, and the VNC password).

export interface ConsoleProxies {
  readonly proxies: Record<ConsoleType, ConsoleProxy>;
  readonly sessions: ConsoleSessions;
  stop(): Promise<void>;
}

export async function startConsoleProxies(
  config: Config,
  db: Database,
  clock: Clock,
  logger: Logger,
  actors: ActorGateway,
  metrics: client.Registry,
): Promise<ConsoleProxies> {
  const c = config.consoles;
  const tls = c.certFile && c.keyFile ? { cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) } : undefined;
  if (c.sslOnly && !tls) throw new Error('consoles.sslOnly needs consoles.certFile and consoles.keyFile');
  const sessions = new ConsoleSessions(db.models, actors, clock, logger.child({ component: 'consoles' }), {
    node: config.nodeId,
    enforceSessionTimeout: c.enforceSessionTimeout,
    sessionsPerToken: c.sessionsPerToken,
    sessionsPerServer: c.sessionsPerServer,
    watchMs: 1_000,
  });
  const failedTokens = new FailedTokens(clock, c.failedTokensPerMinute);
  const start = (type: ConsoleType, port: number) =>
    startConsoleProxy(
      {
        type,
        models: db.models,
        clock,
        logger,
        sessions,
        failedTokens,
        allowedOrigins: c.allowedOrigins,
        bufferBytes: c.bufferBytes,
        ...(tls ? { tls } : {}),
        guestEndpoint: (token) =>
          computeActors(actors)
            .host(token.compute_host)
            .consoleEndpoint({ instance_uuid: token.instance_uuid, protocol: type === 'novnc' ? 'vnc' : type === 'serial' ? 'serial' : 'spice' }),
      },
      config.listen.host,
      port,
    );
  const proxies = {
    novnc: await start('novnc', config.listen.console),
    'spice-html5': await start('spice-html5', c.spicePort),
    serial: await start('serial', c.serialPort),
  };
  sessions.start();
  new client.Gauge({
    name: 'stratus_console_sessions',
    help: 'Console sessions open on this node, by protocol',
    labelNames: ['protocol'],
    registers: [metrics],
    collect() {
      for (const protocol of ['vnc', 'spice', 'serial']) this.set({ protocol }, sessions.list().filter((s) => s.protocol === protocol).length);
    },
  });
  new client.Counter({
    name: 'stratus_console_bytes_total',
    help: 'Bytes relayed by this node’s console sessions, by direction',
    labelNames: ['direction'],
    registers: [metrics],
    collect() {
      const totals = sessions.totals();
      this.reset();
      this.inc({ direction: 'to_guest' }, totals.toGuest);
      this.inc({ direction: 'to_client' }, totals.toClient);
    },
  });
  new client.Gauge({
    name: 'stratus_console_buffered_bytes',
    help: 'Bytes this node’s console sessions hold, accepted from one end and not yet taken by the other',
    registers: [metrics],
    collect() {
      this.set(sessions.buffered());
    },
  });
  return {
    proxies,
    sessions,
    stop: async () => {
      sessions.stop();
      await Promise.all(Object.values(proxies).map((p) => p.close()));
    },
  };
}
