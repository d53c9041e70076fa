import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { exists } from '../qemu/processes.js';
import { run } from './command.js';

/**
 * The metadata proxy of one network (or router) namespace: listens on 169.254.169.254:80 there and passes each
 * request to the metadata service's UNIX socket, with the address it came from and the namespace's network or
 * router id, signed with the shared secret (read from a file: never on a command line). A client's own identity
 * headers are dropped. Runs detached (its own session), found again by its command line.
 *
 * argv (after the marker and the data plane's folder, which say whose it is): socket path, kind (network|router), id,
 * secret file, listen address, listen port.
 */
const PROXY_SCRIPT = String.raw`
const http = require('node:http');
const { createHmac } = require('node:crypto');
const { readFileSync } = require('node:fs');
const [socketPath, kind, id, secretFile, address, port] = process.argv.slice(3);
const secret = readFileSync(secretFile, 'utf8').trim();
const OWN = /^x-(stratus-|forwarded-for)/i;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const server = http.createServer((req, res) => {
  const from = (req.socket.remoteAddress || '').replace(/^::ffff:/, '');
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) if (!OWN.test(name)) headers[name] = value;
  headers['x-forwarded-for'] = from;
  headers['x-stratus-' + kind + '-id'] = id;
  headers['x-stratus-signature'] = createHmac('sha256', secret).update(kind + ':' + id + ':' + from).digest('hex');
  const upstream = http.request({ socketPath, agent, method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode || 502, answer.headers);
    answer.pipe(res);
  });
  upstream.setTimeout(10000, () => upstream.destroy(new Error('timeout')));
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('The metadata service is unavailable.\n');
  });
  req.pipe(upstream);
});
server.headersTimeout = 10000;
server.requestTimeout = 10000;
server.maxHeadersCount = 100;
server.listen(Number(port), address);
`;

const MARKER = 'stratus-metadata-proxy';

export interface MetadataProxy {
  readonly pid: number;
  readonly kind: string;
  readonly id: string;
}

/** The metadata proxies of the data plane whose folder is `root`, found by their command lines. */
export function findMetadataProxies(root: string): MetadataProxy[] {
  const found: MetadataProxy[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = args.indexOf(MARKER);
    if (at < 0 || args[at + 1] !== resolve(root)) continue;
    found.push({ pid: Number(entry), kind: args[at + 3] ?? '', id: args[at + 4] ?? '' });
  }
  return found;
}

/** Starts a detached proxy in namespace `ns`; resolves once it listens (or rejects with what it said). */
export async function startMetadataProxy(
  root: string,
  ns: string,
  socketPath: string,
  kind: 'network' | 'router',
  id: string,
  secretFile: string,
  address: string,
  port = 80,
): Promise<number> {
  // `node -e <script> <args>` gives the script argv [node, ...args]: the marker is argv[1], the folder argv[2].
  const args = [MARKER, resolve(root), socketPath, kind, id, secretFile, address, String(port)];
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', PROXY_SCRIPT, ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  child.stderr.on('data', (d: Buffer) => (said = (said + d.toString()).slice(0, 4000)));
  for (let i = 0; i < 250; i++) {
    if (child.exitCode !== null) throw new Error(`metadata proxy for ${kind} ${id} exited: ${said.trim()}`);
    const listening = await listeningIn(ns, address, port);
    if (listening) {
      child.stderr.destroy();
      child.unref();
      return child.pid ?? 0;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`metadata proxy for ${kind} ${id} did not listen`);
}

async function listeningIn(ns: string, address: string, port: number): Promise<boolean> {
  const out = await run('ip', ['netns', 'exec', ns, 'ss', '-Hltn', `src ${address}:${port}`]).catch(() => '');
  return out.trim().length > 0;
}

export async function stopMetadataProxy(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && exists(pid); i++) await new Promise((r) => setTimeout(r, 20));
  if (exists(pid)) process.kill(pid, 'SIGKILL');
}
