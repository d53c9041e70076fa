import { throughput } from './throughput.js';
import { durable } from './durable.js';
import { memory } from './memory.js';
import { reactivation } from './reactivation.js';
import { recovery } from './recovery.js';

export async function run(): Promise<void> {
  await throughput();
  await durable();
  await memory();
  await reactivation();
  await recovery();
}
