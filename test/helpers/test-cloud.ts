import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from './database.js';
import { freePort, startCloudProcess, type CloudProcess } from './cloud-process.js';
import { stopSimulatedHypervisor } from '../../drivers/simulated/hypervisor-process.js';

// A whole cloud in its own process, on free ports, with its own state directory and clouds.yaml, started
// under the test harness: every compute response the CLI and SDK get is checked against Tempest's schema.

export interface TestCloud {
  cloud: CloudProcess;
  dir: string;
  cloudsYaml: string;
  port: number;
  env: Record<string, string>;
  database: TestDatabase;
}

export async function startTestCloud(name: string, extra: Record<string, string> = {}, attempt = 1): Promise<TestCloud> {
  const database = await createTestDatabase(name);
  const dir = mkdtempSync(join(tmpdir(), `stratus-${name}-`));
  const port = await freePort();
  const env: Record<string, string> = {
    STRATUS_STATE_DIR: join(dir, 'state'),
    STRATUS_LISTEN_IDENTITY: String(port),
    STRATUS_LISTEN_OPS: '0',
    STRATUS_LISTEN_IMAGE: String(await freePort()),
    STRATUS_LISTEN_NETWORK: String(await freePort()),
    STRATUS_LISTEN_COMPUTE: String(await freePort()),
    STRATUS_LISTEN_ADMIN: String(await freePort()),
    STRATUS_IDENTITY_CLOUDS_YAML: join(dir, 'clouds.yaml'),
    STRATUS_IDENTITY_REVOCATION_POLL_MS: '100',
    STRATUS_LOG_LEVEL: 'info',
    ...(database.label === 'postgres' ? { DATABASE_URL: database.url } : {}),
    ...extra,
  };
  try {
    const cloud = await startCloudProcess(env);
    return { cloud, dir, cloudsYaml: join(dir, 'clouds.yaml'), port, env, database };
  } catch (error) {
    // A port found free can be taken by another test's process before this one binds it: start over, everything new.
    await stopLeftoverHypervisors(env.STRATUS_STATE_DIR);
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
    if (attempt < 3 && /EADDRINUSE/.test((error as Error).message)) return startTestCloud(name, extra, attempt + 1);
    throw error;
  }
}

/** Stops simulated hypervisors a killed cloud left running (a graceful stop takes them down itself). */
export async function stopLeftoverHypervisors(stateDir: string): Promise<void> {
  const hv = join(stateDir, 'hv');
  if (!existsSync(hv)) return;
  await Promise.all(readdirSync(hv).map((d) => stopSimulatedHypervisor(join(hv, d), 5_000)));
}

export async function stopTestCloud(c: TestCloud): Promise<void> {
  await c.cloud.stop();
  await stopLeftoverHypervisors(c.env.STRATUS_STATE_DIR);
  rmSync(c.dir, { recursive: true, force: true });
  await c.database.drop();
}

export const addCloud = (c: TestCloud, name: string, user: string, password: string, project: string, domain = 'Default') =>
  appendFileSync(
    c.cloudsYaml,
    `  ${name}:
    auth:
      auth_url: http://127.0.0.1:${c.port}/v3
      username: ${user}
      password: ${password}
      project_name: ${project}
      user_domain_name: ${domain}
      project_domain_name: ${domain}
    identity_api_version: 3
`,
  );
