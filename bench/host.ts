import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { domainXml } from '../drivers/libvirt/domain-xml.js';
import { PowerState } from '../drivers/libvirt/power-state.js';
import { VIR_DOMAIN_EVENT, VIR_DOMAIN_UNDEFINE, VirtConnection } from '../drivers/libvirt/virt.js';
import { qemuUriOf } from '../drivers/qemu/daemon.js';
import { consoleLogOf, prepareGuest, removeGuest, type GuestSettings } from '../drivers/qemu/guest-files.js';
import { qemuGuests } from '../drivers/qemu/processes.js';
import { DEFAULT_SERIAL_PORTS } from '../drivers/qemu/serial-ports.js';
import { virtTypeFor } from '../drivers/qemu/virt-type.js';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { TINY_BANNER } from '../http/images/tiny-image.js';
import { count, note, percentile, report, scaled } from './report.js';
import { LifecycleTimes, startBenchCloud } from './support.js';

const BOOTS = scaled(10, 3);
const KILLS = scaled(5, 3);
const POLL_MS = 20;
// The cloud's default node id names its real host.
const HOST = 'qemu-node-1';
// m1.tiny (flavor '1'), and stratus-tiny's os_shutdown_timeout, as the cloud puts them in the domain.
const FLAVOR = { memoryMb: 512, vcpus: 1 };
const SHUTDOWN_TIMEOUT_S = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p50 = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** When the banner first shows in a console log, read every 20 ms (`performance.now()`). */
async function bannerIn(path: string, timeoutMs = 120_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((await readFile(path, 'utf8').catch(() => '')).includes(TINY_BANNER)) return performance.now();
    if (performance.now() > deadline) throw new Error(`no ${TINY_BANNER} in ${path} within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/**
 * The real host: stratus-tiny guests under QEMU (TCG) in the cloud's private libvirtd, one at a time. Each boot
 * through the API, from its POST being sent to libvirt's Started event (on a connection of the bench's own to the
 * same daemon) and to the banner in its console log; vs the same domain (the disk copied from the image, serial
 * console over TCP with a log, VNC and SPICE) defined and started straight through the binding, the two
 * interleaved. Then QEMU killed with SIGKILL under a running server, to the API showing power_state SHUTDOWN,
 * with the cloud's STOPPED hold-back set to 0; vs the kill to libvirt's Stopped event, for the same kills.
 */
export async function run(): Promise<void> {
  const { stateDir, nova, token, stop } = await startBenchCloud('sh-', {
    env: {
      STRATUS_LIBVIRT_REAL_HOST: 'true',
      STRATUS_LIBVIRT_SIMULATED_HOSTS: '0',
      STRATUS_QEMU_STOPPED_EVENT_DELAY_MS: '0',
      STRATUS_QEMU_CAPABILITY_CACHE_DIR: join(tmpdir(), 'stratus-qemu-capabilities'),
      STRATUS_QUOTAS_INSTANCES: '-1',
      STRATUS_QUOTAS_CORES: '-1',
      STRATUS_QUOTAS_RAM_MB: '-1',
    },
  });
  const qemuDir = join(stateDir, 'qemu', '1');
  const events = await VirtConnection.open(qemuUriOf(qemuDir), { lifecycle: true });
  const times = new LifecycleTimes(events);
  try {
    const server = async (id: string) => {
      const r = await nova.call('GET', `/v2.1/servers/${id}`, { token });
      return r.status === 404 ? undefined : (r.body as { server: Record<string, unknown> }).server;
    };
    const boot = async (name: string) => {
      const at = performance.now();
      const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name, imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
      if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
      return { id: (r.body as { server: { id: string } }).server.id, at, answered: performance.now() - at };
    };
    const active = async (id: string) => {
      for (const deadline = performance.now() + 120_000; ; await sleep(POLL_MS)) {
        const s = await server(id);
        if (s?.status === 'ACTIVE' && s['OS-EXT-STS:power_state'] === PowerState.RUNNING) return s;
        if (s?.status === 'ERROR' || performance.now() > deadline) throw new Error(`server ${id} did not become ACTIVE: ${JSON.stringify(s)}`);
      }
    };
    // Gone from the API and from the hypervisor, so its RAM is free before the next boot.
    const remove = async (id: string) => {
      const r = await nova.call('DELETE', `/v2.1/servers/${id}`, { token });
      if (r.status !== 204) throw new Error(`delete answered ${r.status}: ${JSON.stringify(r.body)}`);
      for (const deadline = performance.now() + 120_000; await server(id); await sleep(50)) {
        if (performance.now() > deadline) throw new Error(`server ${id} not gone`);
      }
      await times.at(id, VIR_DOMAIN_EVENT.UNDEFINED);
    };

    // ── boots: the API vs the binding, interleaved ──
    const raw: GuestSettings = {
      instancesDir: join(stateDir, 'instances', 'bench-raw'),
      virtType: virtTypeFor('auto'),
      listen: '127.0.0.1',
      serialPorts: DEFAULT_SERIAL_PORTS,
    };
    const imagePath = join(stateDir, 'images', TINY_IMAGE_ID);
    const rawBoot = async () => {
      const uuid = randomUUID();
      const xml = domainXml(await prepareGuest(raw, { uuid, ...FLAVOR, imagePath, shutdownTimeoutS: SHUTDOWN_TIMEOUT_S }));
      const at = performance.now();
      const domain = await events.defineXML(xml);
      await domain.create();
      const started = (await times.at(uuid, VIR_DOMAIN_EVENT.STARTED)) - at;
      const banner = (await bannerIn(consoleLogOf(raw, uuid))) - at;
      const defined = (await times.at(uuid, VIR_DOMAIN_EVENT.DEFINED)) - at;
      await domain.destroy();
      await domain.undefine(VIR_DOMAIN_UNDEFINE.MANAGED_SAVE | VIR_DOMAIN_UNDEFINE.NVRAM);
      await removeGuest(raw, uuid);
      return { started, banner, defined };
    };
    const apiBoot = async (i: number) => {
      const { id, at, answered } = await boot(`host-${i}`);
      const started = (await times.at(id, VIR_DOMAIN_EVENT.STARTED)) - at;
      const folder = join(stateDir, 'instances', HOST, id);
      const banner = (await bannerIn(join(folder, 'console.log'))) - at;
      const s = await active(id);
      const toActive = performance.now() - at;
      if (s['OS-EXT-SRV-ATTR:host'] !== HOST) throw new Error(`server ${id} landed on ${String(s['OS-EXT-SRV-ATTR:host'])}, not ${HOST}`);
      // Where the time before the Started event went: the guest's files, as the host made them, on the same clock.
      const since = (ms: number) => ms - performance.timeOrigin - at;
      const steps = {
        answered,
        folder: since((await stat(folder)).birthtimeMs),
        disk: since((await stat(join(folder, 'disk'))).mtimeMs),
        port: since((await stat(join(folder, 'serial-port'))).mtimeMs),
        defined: (await times.at(id, VIR_DOMAIN_EVENT.DEFINED)) - at,
      };
      await remove(id);
      return { started, banner, toActive, steps };
    };
    const api: Array<Awaited<ReturnType<typeof apiBoot>>> = [];
    const direct: Array<Awaited<ReturnType<typeof rawBoot>>> = [];
    for (let i = 0; i < BOOTS; i++) {
      api.push(await apiBoot(i));
      direct.push(await rawBoot());
    }
    const label = `${count(BOOTS)} boots of stratus-tiny, one at a time`;
    report(
      `real guest boot to QEMU started p50 (${label})`,
      p50(api.map((b) => b.started)),
      'ms',
      'raw binding define+start',
      p50(direct.map((b) => b.started)),
    );
    report('real guest banner p50', p50(api.map((b) => b.banner)), 'ms', 'raw binding define+start to banner', p50(direct.map((b) => b.banner)));
    note(
      `boot to Started, API: ${api.map((b) => Math.round(b.started)).join(', ')} ms; binding: ${direct.map((b) => Math.round(b.started)).join(', ')} ms`,
    );
    const step = (name: keyof (typeof api)[number]['steps']) => Math.round(p50(api.map((b) => b.steps[name])));
    note(
      `API boot, p50 ms after the POST: answered ${step('answered')}, guest folder made ${step('folder')}, disk copied ${step('disk')}, ` +
        `serial port written ${step('port')}, Defined event ${step('defined')}, Started event ${Math.round(p50(api.map((b) => b.started)))}, ` +
        `ACTIVE with power_state RUNNING seen (polled every ${POLL_MS} ms) ${Math.round(p50(api.map((b) => b.toActive)))}; ` +
        `Defined → Started p50 ${Math.round(p50(api.map((b) => b.started - b.steps.defined)))} ms`,
    );
    note(
      `binding boot, p50 ms after the define call: Defined event ${Math.round(p50(direct.map((b) => b.defined)))}, Started event ${Math.round(p50(direct.map((b) => b.started)))}; ` +
        `Defined → Started p50 ${Math.round(p50(direct.map((b) => b.started - b.defined)))} ms`,
    );

    // ── kill -9 of QEMU under a running server ──
    const toApi: number[] = [];
    const toEvent: number[] = [];
    const toShutoff: number[] = [];
    const toReaped: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const { id } = await boot(`kill-${i}`);
      await active(id);
      const pid = qemuGuests(qemuDir).find((g) => g.uuid === id)?.pid;
      if (!pid) throw new Error(`no QEMU found running for server ${id}`);
      const stopped = times.at(id, VIR_DOMAIN_EVENT.STOPPED);
      const at = performance.now();
      process.kill(pid, 'SIGKILL');
      let shutdown: number | undefined;
      let reaped: number | undefined;
      for (const deadline = at + 120_000; ; await sleep(POLL_MS)) {
        // A killed process stays a zombie until its parent reaps it; libvirt waits for that before its Stopped event.
        if (reaped === undefined && !existsSync(`/proc/${pid}`)) reaped = performance.now() - at;
        const s = await server(id);
        if (shutdown === undefined && s?.['OS-EXT-STS:power_state'] === PowerState.SHUTDOWN) shutdown = performance.now() - at;
        if (shutdown !== undefined && s?.status === 'SHUTOFF' && s['OS-EXT-STS:task_state'] === null) break;
        if (performance.now() > deadline) throw new Error(`server ${id} not SHUTOFF after its QEMU was killed: ${JSON.stringify(s)}`);
      }
      toShutoff.push(performance.now() - at);
      toReaped.push(reaped ?? performance.now() - at);
      toApi.push(shutdown);
      toEvent.push((await stopped) - at);
      await remove(id);
    }
    report(
      `kill -9 of a guest's QEMU to power_state shutdown in the API (hold-back excluded: qemu.stoppedEventDelayMs 0; ${count(KILLS)} kills, p50)`,
      p50(toApi),
      'ms',
      "kill -9 to libvirt's Stopped event",
      p50(toEvent),
    );
    note(
      `after the Stopped event: power_state SHUTDOWN p50 ${Math.round(p50(toApi.map((t, i) => t - toEvent[i])))} ms (target ≤ 2,000 ms); status SHUTOFF with no task state p50 ${Math.round(p50(toShutoff))} ms after the kill; ` +
        `the killed QEMU gone from /proc (reaped) p50 ${Math.round(p50(toReaped))} ms after the kill (both polled every ${POLL_MS} ms)`,
    );
  } finally {
    times.close();
    await events.close();
    await stop();
  }
}
