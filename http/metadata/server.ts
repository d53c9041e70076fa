import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmodSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { identityVerified } from './signature.js';

/** Who asked, once a proxy's signed identity is checked: the instance and the addresses it is seen with. */
export interface MetadataCaller {
  readonly instanceUuid: string;
  readonly localIpv4: string;
  readonly publicIpv4: string;
}

export interface MetadataSources {
  /** The secret proxies sign with; never logged. */
  readonly secret: string;
  /** The instance whose port holds `address` on the network (or on a network of the router). */
  resolve(kind: 'network' | 'router', id: string, address: string): Promise<MetadataCaller | undefined>;
  /** The instance's documents in the config drive's layout (`openstack/<v>/meta_data.json`, `ec2/<v>/meta-data.json`, …). */
  documents(instanceUuid: string): Promise<ReadonlyMap<string, Buffer>>;
}

const EC2_VERSIONS = [
  '1.0',
  '2007-01-19',
  '2007-03-01',
  '2007-08-29',
  '2007-10-10',
  '2007-12-15',
  '2008-02-01',
  '2008-09-01',
  '2009-04-04',
  'latest',
];

const text = (res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=UTF-8') => {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/** A folder of the tree: its entries, sub-folders with a trailing slash, one a line (as Nova lists them). */
const listing = (keys: Iterable<string>) => [...new Set(keys)].join('\n');

/** The value at an EC2 meta-data path in Nova's tree (objects are folders, arrays lines), or undefined. */
function ec2Lookup(tree: unknown, parts: readonly string[]): string | undefined {
  let node = tree;
  for (const part of parts) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  if (node === null || node === undefined) return '';
  if (Array.isArray(node)) return node.map(String).join('\n');
  if (typeof node === 'object') {
    return listing(
      Object.entries(node as Record<string, unknown>).map(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? `${k}/` : k)),
    );
  }
  return typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean' ? String(node) : '';
}

// Parsed once per cached set of documents (the service keeps those 15 s): a guest's repeated asks parse nothing.
const ec2Trees = new WeakMap<ReadonlyMap<string, Buffer>, Record<string, unknown>>();
function ec2Tree(docs: ReadonlyMap<string, Buffer>): Record<string, unknown> {
  let tree = ec2Trees.get(docs);
  if (!tree) {
    tree = JSON.parse(docs.get('ec2/latest/meta-data.json')?.toString() ?? '{}') as Record<string, unknown>;
    ec2Trees.set(docs, tree);
  }
  return tree;
}

/**
 * The metadata service (Nova's nova-api-metadata paths, OpenStack and EC2) on a UNIX socket: only the metadata
 * proxies reach it, and each request must carry the identity a proxy signed, else 400 (no identity) or 403 (a
 * forged one), in Nova's words. GET and HEAD only.
 */
export function metadataServer(sources: MetadataSources, log: Logger): Server {
  const server = createServer((req, res) => {
    handle(sources, req, res).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? error.message : String(error), path: req.url?.slice(0, 200) }, 'metadata request failed');
      if (!res.headersSent) text(res, 500, 'An unknown error has occurred. Please try your request again.\n');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxHeadersCount = 100;
  return server;
}

async function handle(sources: MetadataSources, req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'The method is not allowed for this resource.\n');
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const address = header('x-forwarded-for');
  const networkId = header('x-stratus-network-id');
  const routerId = header('x-stratus-router-id');
  const kind = networkId ? 'network' : 'router';
  const id = networkId ?? routerId;
  if (!address || !id || (networkId && routerId))
    return text(res, 400, 'X-Forwarded-For and X-Stratus-Network-ID or X-Stratus-Router-ID headers are missing from request.\n');
  if (!identityVerified(sources.secret, kind, id, address, header('x-stratus-signature') ?? ''))
    return text(res, 403, 'Invalid proxy request signature.\n');
  const caller = await sources.resolve(kind, id, address);
  if (!caller) return text(res, 404, 'Instance not found.\n');

  const path = new URL(req.url ?? '/', 'http://metadata').pathname;
  const parts = path.split('/').filter(Boolean);
  if (parts.some((p) => p === '..' || p === '.')) return text(res, 404, 'Not found.\n');
  const docs = await sources.documents(caller.instanceUuid);
  if (!docs.size) return text(res, 404, 'Instance not found.\n');
  if (parts.length === 0) return text(res, 200, listing([...EC2_VERSIONS, 'openstack']));
  if (parts[0] === 'openstack') {
    const versions = [...new Set([...docs.keys()].filter((k) => k.startsWith('openstack/')).map((k) => k.split('/')[1]))];
    if (parts.length === 1) return text(res, 200, listing(versions));
    const version = parts[1];
    if (!versions.includes(version)) return text(res, 404, 'Not found.\n');
    if (parts.length === 2)
      return text(res, 200, listing([...docs.keys()].filter((k) => k.startsWith(`openstack/${version}/`)).map((k) => k.split('/')[2])));
    if (parts.length === 3 && parts[2] === 'password') return text(res, 200, '');
    const doc = docs.get(`openstack/${version}/${parts[2]}`);
    if (parts.length !== 3 || !doc) return text(res, 404, 'Not found.\n');
    return text(res, 200, doc, parts[2].endsWith('.json') ? 'application/json' : 'text/plain; charset=UTF-8');
  }
  // EC2: every version Nova knows answers from the same tree (the drive's 2009-04-04 one).
  const version = parts[0];
  if (!EC2_VERSIONS.includes(version)) return text(res, 404, 'Not found.\n');
  const userData = docs.get('ec2/latest/user-data');
  if (parts.length === 1) return text(res, 200, listing([...(userData ? ['user-data'] : []), 'meta-data/']));
  if (parts[1] === 'user-data' && parts.length === 2)
    return userData ? text(res, 200, userData, 'application/octet-stream') : text(res, 404, 'Not found.\n');
  if (parts[1] !== 'meta-data') return text(res, 404, 'Not found.\n');
  const tree: Record<string, unknown> = { ...ec2Tree(docs), 'local-ipv4': caller.localIpv4, 'public-ipv4': caller.publicIpv4 };
  if (tree['public-keys'] && typeof tree['public-keys'] === 'object' && parts.length === 3 && parts[2] === 'public-keys') {
    // Nova lists a key as `<index>=<name>`; the EC2 tree holds only its data, the OpenStack one its name.
    const meta = JSON.parse(docs.get('openstack/latest/meta_data.json')?.toString() ?? '{}') as { keys?: Array<{ name: string }> };
    return text(res, 200, listing(Object.keys(tree['public-keys']).map((i) => `${i}=${meta.keys?.[Number(i)]?.name ?? ''}`)));
  }
  const value = ec2Lookup(tree, parts.slice(2));
  return value === undefined ? text(res, 404, 'Not found.\n') : text(res, 200, value);
}

/** Listens on a UNIX socket (a stale one from a crashed process is removed first), mode 0600: root's alone. */
export async function listenUnix(server: Server, socketPath: string): Promise<void> {
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
}
