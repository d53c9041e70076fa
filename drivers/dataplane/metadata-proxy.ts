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
const { createHmac, createSecretKey } = require('node:crypto');
const { readFileSync } = require('node:fs');
const [socketPath, kind, id, secretFile, address, port] = process.argv.slice(3);
const key = createSecretKey(Buffer.from(readFileSync(secretFile, 'utf8').trim()));
const OWN = /^x-(stratus-|forwarded-for)/i;
// The service's connection is the proxy's own: its hop-by-hop headers are not the guest's.
const HOP = /^(connection|keep-alive|transfer-encoding|date)$/i;
// Guests ask again and again from the same few addresses: each one's signature is computed once.
const signatures = new Map();
const signatureOf = (from) => {
  let signature = signatures.get(from);
  if (signature === undefined) {
    signature = createHmac('sha256', key).update(kind + ':' + id + ':' + from).digest('hex');
    if (signatures.size >= 4096) signatures.delete(signatures.keys().next().value);
    signatures.set(from, signature);
  }
  return signature;
};
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' });
// A guest asks the same paths in bursts (cloud-init, agents polling): a 200 answer is kept a second per address and
// path, so a repeat costs one hop (guest to proxy) instead of three processes' turns on a busy machine. The service
// keeps callers and documents 15 s anyway (Nova's metadata cache); a second more is within that, and an address
// reused by another guest within that second is what the service's own cache would also answer.
const CACHE_MS = 1000;
const answers = new Map();
const cached = (key) => {
  const hit = answers.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit;
  if (hit) answers.delete(key);
  return undefined;
};
const keep = (key, status, headers, body) => {
  if (status !== 200 || body.length > 65536) return;
  if (answers.size >= 1024) answers.delete(answers.keys().next().value);
  answers.set(key, { at: Date.now(), status, headers, body });
};
const unavailable = (res) => {
  if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
  res.end('The metadata service is unavailable.\n');
};
const server = http.createServer((req, res) => {
  const from = (req.socket.remoteAddress || '').replace(/^::ffff:/, '');
  const bodiless = req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
  const key = req.method === 'GET' && bodiless ? from + ' ' + req.url : undefined;
  const hit = key && cached(key);
  if (hit) {
    req.resume();
    res.writeHead(hit.status, hit.headers);
    return res.end(hit.body);
  }
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) if (!OWN.test(name)) headers[name] = value;
  headers['x-forwarded-for'] = from;
  headers['x-stratus-' + kind + '-id'] = id;
  headers['x-stratus-signature'] = signatureOf(from);
  const upstream = http.request({ socketPath, agent, method: req.method, path: req.url, headers }, (answer) => {
    // Answers are small: gathered and sent in one write (headers and body in one segment, no Nagle stall).
    const chunks = [];
    let size = 0;
    answer.on('data', (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > 1048576) answer.destroy(new Error('answer too large'));
    });
    answer.on('error', () => unavailable(res));
    answer.on('end', () => {
      const body = Buffer.concat(chunks, size);
      const out = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP.test(name)) out[name] = value;
      if (key) keep(key, answer.statusCode, out, body);
      res.writeHead(answer.statusCode || 502, out);
      res.end(body);
    });
  });
  upstream.setTimeout(10000, () => upstream.destroy(new Error('timeout')));
  upstream.on('error', () => unavailable(res));
  // A GET or HEAD carries no body: the request goes out at once rather than after a pipe's turn.
  if (bodiless) {
    req.resume();
    upstream.end();
  } else req.pipe(upstream);
});
server.headersTimeout = 10000;
server.requestTimeout = 10000;
server.maxHeadersCount = 100;
server.keepAliveTimeout = 60000;
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
