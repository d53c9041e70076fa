import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './cloud-process.js';
import { startServerProcess, stopServerProcess } from './server-process.js';

// A private redis-server per test (never the machine's shared one on 6379): its own port, directory,
// configuration and, with TLS, its own CA. It can be stopped and started again on the same port.

export interface RedisUser {
  readonly name: string;
  readonly password: string;
  /** ACL rules after the password; default `~* &* +@all`. */
  readonly rules?: string;
}

export interface RedisServerOptions {
  /** `aof-always`: every write fsynced to an append-only file, so a restart keeps it. Default `none`. */
  readonly persistence?: 'none' | 'aof-always';
  /** The default user's password (`requirepass`). */
  readonly password?: string;
  /** ACL users; with users and no password the default user is switched off. */
  readonly users?: readonly RedisUser[];
  readonly tls?: boolean;
}

export interface RedisServer {
  readonly port: number;
  readonly dir: string;
  /** `redis://127.0.0.1:PORT` (or `rediss://localhost:PORT`), without credentials. */
  readonly url: string;
  /** `url` with the given credentials in it. */
  urlFor(user: string | undefined, password: string): string;
  /** The CA that signed the server's certificate (with `tls`). */
  readonly caFile?: string;
  /** A client with full rights, for a test to look inside. */
  admin(): Redis;
  /** SIGTERM, waits for the exit (with AOF the file is complete then). */
  stop(): Promise<void>;
  /** Starts it again with the same configuration, directory and port. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-redis-'));
  const tlsFiles = options.tls ? certificates(dir) : undefined;
  const lines = [
    `bind 127.0.0.1`,
    `dir ${dir}`,
    `save ""`,
    `daemonize no`,
    `logfile ""`,
    options.persistence === 'aof-always' ? 'appendonly yes\nappendfsync always' : 'appendonly no',
  ];
  if (tlsFiles) {
    lines.push(
      'port 0',
      `tls-port ${port}`,
      `tls-cert-file ${tlsFiles.cert}`,
      `tls-key-file ${tlsFiles.key}`,
      `tls-ca-cert-file ${tlsFiles.ca}`,
      'tls-auth-clients no',
    );
  } else lines.push(`port ${port}`);
  if (options.password) lines.push(`requirepass ${options.password}`);
  for (const user of options.users ?? []) lines.push(`user ${user.name} on >${user.password} ${user.rules ?? '~* &* +@all'}`);
  if (options.users?.length && !options.password) lines.push('user default off');
  const config = join(dir, 'redis.conf');
  writeFileSync(config, lines.join('\n') + '\n');

  let child: ChildProcess | undefined;
  const start = async () => {
    child = await startServerProcess('redis-server', ['redis-server', [config]], {}, 'Ready to accept connections', 10_000);
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    await stopServerProcess(proc, 'SIGTERM');
  };
  await start();

  const host = tlsFiles ? 'localhost' : '127.0.0.1';
  const scheme = tlsFiles ? 'rediss' : 'redis';
  const urlFor = (user: string | undefined, password: string) =>
    `${scheme}://${user ? encodeURIComponent(user) : ''}:${encodeURIComponent(password)}@${host}:${port}`;
  const adminUser = options.password ? undefined : options.users?.[0];
  return {
    port,
    dir,
    url: `${scheme}://${host}:${port}`,
    urlFor,
    caFile: tlsFiles?.ca,
    admin: () => {
      const url = options.password
        ? urlFor(undefined, options.password)
        : adminUser
          ? urlFor(adminUser.name, adminUser.password)
          : `${scheme}://${host}:${port}`;
      return new Redis(url, { ...(tlsFiles ? { tls: { ca: tlsFiles.caPem } } : {}), maxRetriesPerRequest: 1 });
    },
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A CA and a server certificate it signed, for localhost and 127.0.0.1. */
function certificates(dir: string) {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=stratus test CA',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('san.ext'),
  );
  return { ca: file('ca.crt'), cert: file('server.crt'), key: file('server.key'), caPem: readFileSync(file('ca.crt')) };
}
