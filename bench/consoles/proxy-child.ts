import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../models/database.js';
import { SystemClock } from '../../runtime/clock.js';
import { silentLogger } from '../../runtime/logger.js';
import { FailedTokens } from '../../http/console/failed-tokens.js';
import { startConsoleProxy } from '../../http/console/proxy.js';
import { ConsoleSessions } from '../../http/console/sessions.js';
import { issueToken } from '../../services/consoles/tokens.js';
import { instanceRow } from '../runtime/support.js';
import { ActorNode } from '../../runtime/node.js';
import { SqlStore } from '../../runtime/stores/sql-store.js';
import { InProcessTransport } from '../../runtime/transports/in-process.js';
import { consoleKind } from '../../actors/console/index.js';

// The Stratus noVNC proxy alone in a process, so the benchmark reads its CPU time from /proc apart from the source
// and the client: a SQLite database with one server and a token for the source's console, the product's proxy,
// session registry and console actors, 1 MiB per direction as configured by default. Prints `{ url, tokens }` (a token
// per source port given) once listening.

const [password, ...sourcePorts] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-console-'));
const db = await openDatabase(`sqlite:${join(dir, 'bench.sqlite')}`);
const clock = new SystemClock();
const logger = silentLogger();
const server = instanceRow(0);
await db.models.Instance.create(server);
const tokens: string[] = [];
for (const port of sourcePorts) {
  const issued = await issueToken(
    db.models,
    { consoleType: 'novnc', instanceUuid: server.uuid, computeHost: server.host!, host: '127.0.0.1', port: Number(port), ttlMs: 3_600_000 },
    clock.now(),
  );
  tokens.push(issued.token);
}
// The sessions' console actors, on this process's own node.
const store = new SqlStore(db, { maxBatch: 500, crashHistory: 20, now: () => clock.now() });
const node = new ActorNode({
  nodeId: 'bench',
  store,
  transport: new InProcessTransport(),
  clock,
  logger,
  requestTimeoutMs: 60_000,
  passivationSweepMs: 3_600_000,
  recentMessages: 16,
});
const registry: { sessions?: ConsoleSessions } = {};
node.supervise(
  consoleKind({ session: (id) => registry.sessions?.live(id) }),
  { maxRestarts: 5, withinMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 30_000, maxMessageAttempts: 3 },
  3_600_000,
);
await node.start();
const sessions = new ConsoleSessions(db.models, node, clock, logger, {
  node: 'bench',
  enforceSessionTimeout: true,
  sessionsPerToken: 100,
  sessionsPerServer: 100,
  watchMs: 60_000,
});
registry.sessions = sessions;
const proxy = await startConsoleProxy(
  {
    type: 'novnc',
    models: db.models,
    clock,
    logger,
    sessions,
    failedTokens: new FailedTokens(clock, 10),
    allowedOrigins: [],
    bufferBytes: 1024 * 1024,
    guestEndpoint: (t) => Promise.resolve({ host: t.host, port: t.port, password }),
  },
  '127.0.0.1',
  0,
);
process.stdout.write(`${JSON.stringify({ url: proxy.url, tokens })}\n`);
process.once('SIGTERM', () => {
  sessions.stop();
  void proxy.close().finally(async () => {
    await node.stop();
    await store.close();
    void db.close().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
});
