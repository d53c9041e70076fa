#!/usr/bin/env node
import { loadConfig, formatConfigError } from '../cluster.config.js';
import { createLogger } from '../runtime/logger.js';
import { startCloud } from './cloud.js';
import { testHarness } from './harness.js';
import { openDatabase } from '../models/database.js';
import { SystemClock } from '../runtime/clock.js';
import { resetAdminPassword } from '../http/identity/index.js';
import { RevocationList } from '../http/identity/revocations.js';
import { adminCommand, adminUsage } from './admin-cli.js';
import { ProtocolMismatchError } from '../runtime/cluster/membership.js';
import { ActorError } from '../runtime/errors.js';

const usage = `usage: stratus <command>
  start         run a node: the whole cloud by default, or the roles STRATUS_ROLES gives it
  reset-admin   set a new admin password (STRATUS_ADMIN_PASSWORD, or a random one) and rewrite clouds.yaml
${adminUsage}`;

function configOrExit() {
  try {
    // Test-only keys (faults.*) only under the test harness: a production start refuses them (exit 2).
    return loadConfig({ allowTestOnly: testHarness() !== undefined });
  } catch (error) {
    console.error(formatConfigError(error));
    process.exit(2);
  }
}

async function resetAdmin(): Promise<void> {
  const config = configOrExit();
  const db = await openDatabase(config.databaseUrl, { sqliteSynchronous: config.store.sqliteSynchronous });
  const revocations = new RevocationList(db.models, new SystemClock(), config.identity.revocationPollMs, config.identity.tokenTtlMs);
  const authUrl = `http://${config.publicHost}:${config.listen.identity}/v3`;
  await resetAdminPassword(
    db.models,
    { cloudsYaml: config.identity.cloudsYaml, authUrl, adminPassword: process.env.STRATUS_ADMIN_PASSWORD },
    (user) => revocations.revoke({ user, issuedBefore: Date.now() }),
  );
  await db.close();
  console.log(`admin password reset; clouds.yaml rewritten at ${config.identity.cloudsYaml}`);
}

async function start(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.log.level);
  const extensions = await testHarness()?.extend(logger);
  const starting = startCloud(
    config,
    logger,
    {
      adminPassword: process.env.STRATUS_ADMIN_PASSWORD,
      demoPassword: process.env.STRATUS_DEMO_PASSWORD,
    },
    undefined,
    extensions,
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // A stop that hangs must not keep the process: the state is safe in the database anyway. The drain comes
    // first (its own bound), then the graceful stop.
    setTimeout(() => {
      logger.error('graceful stop timed out');
      process.exit(1);
    }, config.cluster.drainMs + config.timeouts.shutdownMs).unref();
    starting
      .then((cloud) => cloud.stop())
      .then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
  };
  // Handlers go in before the start completes: a signal that arrives just after "stratus started" is logged (or
  // during the start) must stop the cloud gracefully, never kill the process by the signal's default action.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await starting;
  } catch (error) {
    // A node of another protocol version, or one whose Redis does not answer, is refused at start: said plainly, not as a crash.
    if (!(error instanceof ProtocolMismatchError || (error instanceof ActorError && error.code === 'unavailable'))) throw error;
    console.error(`stratus: ${error.message}`);
    process.exit(2);
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === 'start') await start();
else if (command === 'reset-admin') await resetAdmin();
else if (command === 'actor' || command === 'dead-letter' || command === 'node') process.exit(await adminCommand(configOrExit(), command, args));
else {
  console.error(usage);
  process.exit(command ? 2 : 0);
}
