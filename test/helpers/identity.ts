import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../models/database.js';
import { bootstrapIdentity, createIdentity, identityApp, type Identity } from '../../http/identity/index.js';
import { listen, type Listening } from '../../http/listen.js';
import type { Kdf } from '../../http/identity/passwords.js';
import type { ImagesOptions } from '../../http/images/index.js';
import { silentLogger } from '../../runtime/logger.js';
import type { Clock } from '../../runtime/clock.js';
import { SystemClock } from '../../runtime/clock.js';

export const ADMIN_PASSWORD = 'admin-secret';
export const DEMO_PASSWORD = 'demo-secret';

export interface IdentityServer {
  db: Database;
  identity: Identity;
  server: Listening;
  url: string;
  stateDir: string;
  stop(): Promise<void>;
}

/** The identity service on its own port, bootstrapped on the given database. */
export interface IdentityServerOptions {
  clock?: Clock;
  stateDir?: string;
  pollMs?: number;
  tokenTtlMs?: number;
  kdf?: Kdf;
  listLimit?: number;
}

export async function startIdentityServer(databaseUrl: string, options: IdentityServerOptions = {}): Promise<IdentityServer> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'stratus-identity-'));
  const db = await openDatabase(databaseUrl);
  const identity = await createIdentity({
    models: db.models,
    clock: options.clock ?? new SystemClock(),
    stateDir,
    tokenTtlMs: options.tokenTtlMs ?? 3_600_000,
    revocationPollMs: options.pollMs ?? 100,
    kdf: options.kdf,
    listLimit: options.listLimit,
  });
  const server = await listen(identityApp(identity.services, silentLogger()), '127.0.0.1', 0);
  identity.publicUrl = server.url;
  await bootstrapIdentity(
    db.models,
    {
      cloudsYaml: join(stateDir, 'clouds.yaml'),
      authUrl: `${server.url}/v3`,
      adminPassword: ADMIN_PASSWORD,
      demoPassword: DEMO_PASSWORD,
    },
    silentLogger(),
  );
  return {
    db,
    identity,
    server,
    url: server.url,
    stateDir,
    stop: async () => {
      identity.stop();
      await server.close();
      await db.close();
    },
  };
}

/** A small Keystone client for tests: JSON in, status, headers and JSON out. */
export function client(base: string) {
  const call = async (method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.token ? { 'x-auth-token': options.token } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const login = async (user: string, password: string, project?: string, domain = 'Default') => {
    const r = await call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { name: user, domain: { name: domain }, password } } },
          ...(project ? { scope: { project: { name: project, domain: { name: domain } } } } : {}),
        },
      },
    });
    return { ...r, token: r.headers.get('x-subject-token') ?? undefined };
  };
  return { call, login };
}

/** Identity plus the image service on its own port, as the cloud wires them. */
export async function startImageServer(
  databaseUrl: string,
  options: Partial<Pick<ImagesOptions, 'limits' | 'uploadStaleMs' | 'nodeId' | 'storeDir'>> = {},
) {
  const { createImages, imageApp, registerTinyImage } = await import('../../http/images/index.js');
  const identity = await startIdentityServer(databaseUrl);
  const images = await createImages(
    {
      models: identity.db.models,
      tokens: identity.identity.services.tokens,
      clock: new SystemClock(),
      storeDir: join(identity.stateDir, 'images'),
      ...options,
    },
    silentLogger(),
  );
  const server = await listen(imageApp(images, silentLogger()), '127.0.0.1', 0);
  images.url = server.url;
  const admin = await identity.identity.services.directory.projectByName('admin', 'default');
  await registerTinyImage(images, admin!.id, silentLogger());
  return {
    identity,
    images,
    url: server.url,
    stop: async () => {
      images.stop();
      await server.close();
      await identity.stop();
    },
  };
}
