import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { ByteQueue } from '../../http/console/byte-queue.js';
import { vncAuthResponse } from '../../http/console/vnc-auth.js';
import { freePort } from '../../test/helpers/cloud-process.js';
import { count, note, report, scaled } from '../report.js';
import { COLOUR, FLOOD_FRAME_BYTES, HEIGHT, WIDTH, startRfbSource } from './rfb-source.js';

// Issue 21's console benchmark. Throughput and CPU: a synthetic RFB stream (4,096 raw 256×256 updates, 1 GiB) from a
// local RFB server with VNC Authentication to a WebSocket client reading as fast as it can, through the Stratus noVNC
// proxy (in a process of its own: the product's proxy, token check and session registry) and through Debian's
// websockify relaying the same stream, in the same run; each proxy's CPU time (user + system, its children
// included) read from /proc before and after the stream. First frame: Chromium already running, from navigation to
// noVNC's page on the Stratus proxy until the canvas shows the source's one-colour frame.

const PASSWORD = 'bench-pw';
const FRAMES = scaled(4_096, 64);
const BYTES = FRAMES * FLOOD_FRAME_BYTES;
const GB = 1e9;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const root = fileURLToPath(new URL('../..', import.meta.url));

/** CPU seconds of a process and its descendants: their own times, and those of the children they reaped. */
function treeCpuS(pid: number): number {
  const stat = (p: number) => {
    try {
      const text = readFileSync(`/proc/${p}/stat`, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined;
    }
  };
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const p = Number(entry);
    const f = Number.isInteger(p) ? stat(p) : undefined;
    if (f) parents.set(p, Number(f[1]));
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, parent] of parents) if (parent === tree[i]) tree.push(p);
  let ticks = 0;
  for (const p of tree) {
    const f = stat(p);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / TICKS;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads the flood through a proxy's WebSocket: the RFB handshake (None, or VNC Auth passed through), then BYTES. */
async function readStream(url: string, pid: number): Promise<{ bytesPerS: number; cpuSPerGb: number }> {
  const ws = new WebSocket(url, ['binary'], { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  const q = new ByteQueue(64 * 1024 * 1024);
  let streaming = false;
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    ws.on('close', () => reject(new Error(`the proxy closed after ${received} bytes`)));
    ws.on('error', reject);
  });
  ws.on('message', (d: Buffer) => {
    if (!streaming) return q.push(d);
    received += d.length;
    if (received >= BYTES) done();
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  await q.read(12);
  ws.send(Buffer.from('RFB 003.008\n'));
  const types = await q.read((await q.read(1))[0]);
  if (types.includes(2)) {
    ws.send(Buffer.from([2]));
    ws.send(vncAuthResponse(PASSWORD, await q.read(16)));
  } else ws.send(Buffer.from([1]));
  if ((await q.read(4)).readUInt32BE(0) !== 0) throw new Error('security refused');
  ws.send(Buffer.from([1]));
  const init = await q.read(24);
  await q.read(init.readUInt32BE(20));
  streaming = true;
  received = q.rest().length;
  const cpu0 = treeCpuS(pid);
  const t0 = performance.now();
  ws.send(Buffer.from([3, 0, 0, 0, 0, 0, WIDTH >> 8, WIDTH & 255, HEIGHT >> 8, HEIGHT & 255]));
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = treeCpuS(pid) - cpu0;
  ws.terminate();
  return { bytesPerS: received / seconds, cpuSPerGb: cpu / (received / GB) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

export async function run(): Promise<void> {
  const flood = await startRfbSource(PASSWORD, { floodFrames: FRAMES });
  const framed = await startRfbSource(PASSWORD, 'frame');
  const stratus = spawn(process.execPath, ['--import=tsx', 'bench/consoles/proxy-child.ts', PASSWORD, String(flood.port), String(framed.port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const wsPort = await freePort();
  const websockify = spawn('websockify', [`127.0.0.1:${wsPort}`, `127.0.0.1:${flood.port}`], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: stratus.stdout }).once('line', resolve);
      stratus.once('exit', (code) => reject(new Error(`the proxy process ended (${code})`)));
    });
    const { url, tokens } = JSON.parse(line) as { url: string; tokens: string[] };
    await waitFor(() => portOpen(wsPort), 'websockify');
    const wsUrl = url.replace(/^http/, 'ws');

    note(`${count(FRAMES)} raw 256x256 updates, ${count(BYTES)} bytes from the source through each proxy; CPU per GB = 1e9 bytes`);
    const ours = await readStream(`${wsUrl}/?token=${tokens[0]}`, stratus.pid!);
    const theirs = await readStream(`ws://127.0.0.1:${wsPort}/`, websockify.pid!);
    report('console relay throughput, noVNC proxy', ours.bytesPerS / 1e6, 'MB/s', 'websockify 0.10.0', theirs.bytesPerS / 1e6);
    report('console relay CPU per GB, noVNC proxy', ours.cpuSPerGb, 'CPU s/GB', 'websockify 0.10.0', theirs.cpuSPerGb);

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
      const times: number[] = [];
      // The first navigation warms the browser's cache and the proxy; the next five are timed.
      for (let i = 0; i < 6; i++) {
        await page.goto('about:blank');
        const t0 = performance.now();
        await page.goto(`${url}/vnc_lite.html?path=${encodeURIComponent(`?token=${tokens[1]}`)}`);
        await page.waitForFunction(
          ([r, g, b]) => {
            const canvas = document.querySelector('#screen canvas');
            if (!(canvas instanceof HTMLCanvasElement)) return false;
            const [pr, pg, pb] = canvas.getContext('2d')!.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data;
            return Math.abs(pr - r) < 8 && Math.abs(pg - g) < 8 && Math.abs(pb - b) < 8;
          },
          COLOUR,
          { polling: 'raf', timeout: 30_000 },
        );
        if (i) times.push(performance.now() - t0);
      }
      const median = [...times].sort((a, b) => a - b)[times.length >> 1];
      report('console first frame drawn after navigation, noVNC page (median of 5)', median, 'ms', 'target of issue 21', 1_000);
    } finally {
      await browser.close();
    }
  } finally {
    await stop(stratus);
    await stop(websockify);
    await flood.close();
    await framed.close();
  }
}
