import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { TINY_BANNER } from '../http/images/tiny-image.js';
import { freePort } from '../test/helpers/cloud-process.js';
import { upload } from '../test/helpers/image-upload.js';
import { client } from '../test/helpers/identity.js';
import { count, note, percentile, report, scaled } from './report.js';
import { startBenchCloud, type BenchCloud } from './support.js';

// Real guests on the real host (a private QEMU libvirtd, TCG). Each part in its own function.

const HOST = 'qemu-node-1';
const POLL_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p50 = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export async function run(): Promise<void> {
  const image = await freePort();
  const cloud = await startBenchCloud('sg-', {
    env: {
      STRATUS_LIBVIRT_REAL_HOST: 'true',
      STRATUS_LIBVIRT_SIMULATED_HOSTS: '0',
      STRATUS_LISTEN_IMAGE: String(image),
      STRATUS_QEMU_CAPABILITY_CACHE_DIR: join(tmpdir(), 'stratus-qemu-capabilities'),
    },
  });
  try {
    await imageCacheBoots(cloud, `http://127.0.0.1:${image}`);
  } finally {
    await cloud.stop();
  }
}

/**
 * Boots from a cached image vs first boots: each round uploads a new image (stratus-tiny padded to 64 MiB, its last
 * byte the round's, so every round's image is new to the host's cache), boots a server from it (the host fetches
 * it into its cache), deletes it, and boots a second server from it (the cache serves it). Each from its POST being
 * sent to the banner in the guest's console log, one boot at a time.
 */
async function imageCacheBoots(cloud: BenchCloud, glanceUrl: string): Promise<void> {
  const { nova, token, stateDir } = cloud;
  const rounds = scaled(5, 3);
  const glance = client(glanceUrl);
  const tiny = Buffer.from(await (await fetch(`${glanceUrl}/v2/images/${TINY_IMAGE_ID}/file`, { headers: { 'x-auth-token': token } })).arrayBuffer());
  const bootToBanner = async (imageRef: string, name: string) => {
    const at = performance.now();
    const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name, imageRef, flavorRef: '1' } } });
    if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
    const id = (r.body as { server: { id: string } }).server.id;
    const log = join(stateDir, 'instances', HOST, id, 'console.log');
    for (const deadline = at + 120_000; !(await readFile(log, 'utf8').catch(() => '')).includes(TINY_BANNER); await sleep(POLL_MS))
      if (performance.now() > deadline) throw new Error(`no banner from server ${id}`);
    const ms = performance.now() - at;
    const d = await nova.call('DELETE', `/v2.1/servers/${id}`, { token });
    if (d.status !== 204) throw new Error(`delete answered ${d.status}`);
    for (const deadline = performance.now() + 120_000; (await nova.call('GET', `/v2.1/servers/${id}`, { token })).status !== 404; await sleep(50))
      if (performance.now() > deadline) throw new Error(`server ${id} not gone`);
    return ms;
  };
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const data = Buffer.concat([tiny, Buffer.alloc(64 * 1024 ** 2 - tiny.length)]);
    data[data.length - 1] = i + 1;
    const created = await glance.call('POST', '/v2/images', { token, body: { name: `cache-${i}`, disk_format: 'raw', container_format: 'bare' } });
    const id = (created.body as { id: string }).id;
    const put = await upload(`${glanceUrl}/v2/images/${id}/file`, token, data);
    if (put.status !== 204) throw new Error(`upload answered ${put.status}`);
    first.push(await bootToBanner(id, `first-${i}`));
    second.push(await bootToBanner(id, `second-${i}`));
  }
  report(
    `boot from a cached image, POST to banner p50 (${count(rounds)} boots of stratus-tiny padded to 64 MiB, one at a time)`,
    p50(second),
    'ms',
    'first boot of the same image (fetched into the host cache) p50',
    p50(first),
  );
  note(`first boots: ${first.map(Math.round).join(', ')} ms; cached: ${second.map(Math.round).join(', ')} ms`);
}
