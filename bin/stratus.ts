#!/usr/bin/env node
import { loadConfig, formatConfigError } from '../cluster.config.js';
import { createLogger } from '../runtime/logger.js';
import { startCloud } from './cloud.js';

const usage = `usage: stratus <command>
  start     run the whole cloud (all configured roles) in this process`;

async function start(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(formatConfigError(error));
    process.exit(2);
  }
  const logger = createLogger(config.log.level);
  const cloud = await startCloud(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // A stop that hangs must not keep the process: the state is safe in the database anyway.
    setTimeout(() => { logger.error('graceful stop timed out'); process.exit(1); }, config.timeouts.shutdownMs).unref();
    cloud.stop().then(() => process.exit(0), (error) => { logger.error({ err: error }, 'stop failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const [command] = process.argv.slice(2);
if (command === 'start') await start();
else {
  console.error(usage);
  process.exit(command ? 2 : 0);
}
