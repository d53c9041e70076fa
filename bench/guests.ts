import { randomUUID } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { TINY_BANNER } from '../http/images/tiny-image.js';
import { freePort } from '../test/helpers/cloud-process.js';
import { upload } from '../test/helpers/image-upload.js';
import { client } from '../test/helpers/identity.js';
import { domainXml, type GuestDisk } from '../drivers/libvirt/domain-xml.js';
import { VIR_DOMAIN_UNDEFINE, VirtConnection } from '../drivers/libvirt/virt.js';
import { qemuUriOf } from '../drivers/qemu/daemon.js';
import { recordedDisks } from '../drivers/qemu/guest-disks.js';
import { consoleLogOf, prepareGuest, removeGuest, type GuestSettings } from '../drivers/qemu/guest-files.js';
import { LINUX_BANNER } from '../drivers/qemu/linux-guest/guest-init.js';
import { createOverlay } from '../drivers/qemu/qemu-img.js';
import { DEFAULT_SERIAL_PORTS } from '../drivers/qemu/serial-ports.js';
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
    await linuxBoots(cloud, `http://127.0.0.1:${image}`);
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

/** When a line starting with the banner first shows in a console log, read every 20 ms (`performance.now()`). */
async function linuxBannerIn(path: string, timeoutMs = 180_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((await readFile(path, 'utf8').catch(() => '')).includes(`${LINUX_BANNER} uuid=`)) return performance.now();
    if (performance.now() > deadline) throw new Error(`no ${LINUX_BANNER} banner in ${path} within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/**
 * stratus-linux with a config drive, user data, ephemeral and swap disks: from the POST being sent to the guest's
 * banner in its console log, through the API (the image cached on the host after the first, unmeasured, boot); vs
 * the same domain (new overlays on the same cached bases, a copy of the server's config drive, made before the
 * clock starts) defined and started straight through the binding, to the same banner. Interleaved, one at a time.
 */
async function linuxBoots(cloud: BenchCloud, glanceUrl: string): Promise<void> {
  const { nova, token, stateDir } = cloud;
  const boots = scaled(5, 3);
  const listed = (await client(glanceUrl).call('GET', '/v2/images?name=stratus-linux', { token })).body as { images: Array<{ id: string }> };
  const imageRef = listed.images[0]?.id;
  if (!imageRef) throw new Error('stratus-linux is not registered (no Debian archive?)');
  const flavor = await nova.call('POST', '/v2.1/flavors', {
    token,
    body: { flavor: { name: 'bench.linux', ram: 256, vcpus: 1, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': 1, swap: 64 } },
  });
  const flavorRef = (flavor.body as { flavor: { id: string } }).flavor.id;
  const userData = Buffer.from('#!/bin/sh\necho bench\n').toString('base64');
  const remove = async (id: string) => {
    await nova.call('DELETE', `/v2.1/servers/${id}`, { token });
    for (const deadline = performance.now() + 120_000; (await nova.call('GET', `/v2.1/servers/${id}`, { token })).status !== 404; await sleep(50))
      if (performance.now() > deadline) throw new Error(`server ${id} not gone`);
  };
  const apiBoot = async (name: string) => {
    const at = performance.now();
    const r = await nova.call('POST', '/v2.1/servers', {
      token,
      body: { server: { name, imageRef, flavorRef, user_data: userData, config_drive: true } },
    });
    if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
    const id = (r.body as { server: { id: string } }).server.id;
    const ms = (await linuxBannerIn(join(stateDir, 'instances', HOST, id, 'console.log'))) - at;
    return { id, ms };
  };
  const events = await VirtConnection.open(qemuUriOf(join(stateDir, 'qemu', '1')), {});
  const raw: GuestSettings = {
    instancesDir: join(stateDir, 'instances', 'bench-linux'),
    virtType: 'qemu',
    listen: '127.0.0.1',
    serialPorts: DEFAULT_SERIAL_PORTS,
  };
  // The same disks as the server's: overlays on the same bases, and its config drive.
  const sameDisks = (server: string) => async (folder: string) => {
    const from = join(stateDir, 'instances', HOST, server);
    const recorded = await recordedDisks(from);
    if (!recorded) throw new Error(`server ${server} recorded no disks`);
    const disks: GuestDisk[] = [];
    // Root, ephemeral and swap, each on its base (the disks record them in that order), of the flavor's sizes.
    const sizes = [1024 ** 3, 1024 ** 3, 64 * 1024 ** 2];
    for (const [i, d] of recorded.disks.entries()) {
      const path = join(folder, d.path.split('/').pop()!);
      // The root disk's base is the image (qcow2); the ephemeral and swap bases are raw, as the host formats them.
      await createOverlay(path, recorded.bases[i], i === 0 ? 'qcow2' : 'raw', sizes[i]);
      disks.push({ ...d, path });
    }
    await copyFile(join(from, 'disk.config'), join(folder, 'disk.config'));
    disks.push({ path: join(folder, 'disk.config'), format: 'raw', device: 'cdrom', target: 'hdd', bus: 'ide', readonly: true });
    return disks;
  };
  const rawBoot = async (server: string) => {
    const uuid = randomUUID();
    const xml = domainXml(await prepareGuest(raw, { uuid, memoryMb: 256, vcpus: 1, makeDisks: sameDisks(server) }));
    const at = performance.now();
    const domain = await events.defineXML(xml);
    await domain.create();
    const ms = (await linuxBannerIn(consoleLogOf(raw, uuid))) - at;
    await domain.destroy();
    await domain.undefine(VIR_DOMAIN_UNDEFINE.MANAGED_SAVE | VIR_DOMAIN_UNDEFINE.NVRAM);
    await removeGuest(raw, uuid);
    return ms;
  };
  try {
    // The first boot fetches the image into the host's cache; it is not counted.
    const warm = await apiBoot('linux-warm');
    await remove(warm.id);
    const api: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < boots; i++) {
      const b = await apiBoot(`linux-${i}`);
      api.push(b.ms);
      direct.push(await rawBoot(b.id));
      await remove(b.id);
    }
    report(
      `stratus-linux POST to banner p50 (${count(boots)} boots, config drive, user data, ephemeral + swap, image cached, TCG, one at a time)`,
      p50(api),
      'ms',
      'the same domain and disks defined and started through the binding, to the same banner p50',
      p50(direct),
    );
    report(
      `stratus-linux boot from the cached image, POST to banner p50 (${count(boots)} boots)`,
      p50(api),
      'ms',
      'its first boot on the host (the image fetched into the cache; 1 boot)',
      warm.ms,
    );
    const spread = (v: number[]) => `${Math.round(Math.min(...v))}–${Math.round(Math.max(...v))}`;
    note(
      `API: ${api.map(Math.round).join(', ')} ms (spread ${spread(api)}); binding: ${direct.map(Math.round).join(', ')} ms (spread ${spread(direct)})`,
    );
  } finally {
    await events.close();
  }
}
