#!/usr/bin/env node
// `npm run tempest [-- --regex <re>] [--concurrency <n>] [--keep] [--network]`: runs Debian's Tempest (33) compute API
// tests (or with `--network` its Neutron API tests, `tempest.api.network`, Neutron switched on in the config) against a fresh Stratus of its own (test/helpers/standalone-cloud.ts) whose boots land on simulated hosts, then
// prints passed/failed/skipped and the lists.
// Test machinery: not part of `npm test` (a full run takes long), never imported by the product.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { capture, runInherited, startStandaloneCloud, SUBUNIT_SUMMARY } from '../helpers/standalone-cloud.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const COMPUTE_NODES = 3;

const { values: options } = parseArgs({
  options: {
    regex: { type: 'string', default: '^tempest\\.api\\.compute' },
    concurrency: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    network: { type: 'boolean', default: false },
  },
});
const regex = options.network && options.regex === '^tempest\\.api\\.compute' ? '^tempest\\.api\\.network' : options.regex;

async function main(): Promise<number> {
  const cloud = await startStandaloneCloud({
    name: 'tempest',
    computeNodes: COMPUTE_NODES,
    // Dynamic credentials give every test class projects of its own on the default quotas; a class boots a few
    // servers at most, but several classes run at once on the same hosts.
    env: { STRATUS_QUOTAS_INSTANCES: '50', STRATUS_QUOTAS_CORES: '100', STRATUS_QUOTAS_RAM_MB: '204800' },
  });
  const { workspace } = cloud;
  try {
    const token = await cloud.adminToken();
    const imageRef = await findImage(cloud.ports.image, token, 'stratus-tiny');
    const imageRefAlt = await copyImage(cloud.ports.image, token, imageRef, 'stratus-tiny-alt');
    writeConfig(workspace, { adminPassword: cloud.adminPassword, identityPort: cloud.ports.identity, imageRef, imageRefAlt });
    if (options.network) await enableNeutron(workspace, cloud.ports.network, token);
    console.log(`tempest: workspace ${workspace}, Stratus identity at http://127.0.0.1:${cloud.ports.identity}/v3 (${cloud.databaseLabel})`);
    await runInherited('tempest', ['run', '--regex', regex, '--concurrency', options.concurrency], workspace, {
      TEMPEST_CONFIG_DIR: join(workspace, 'etc'),
      TEMPEST_CONFIG: 'tempest.conf',
    });
    return await summarize(workspace);
  } finally {
    await cloud.stop(options.keep);
  }
}

async function findImage(port: number, token: string, name: string): Promise<string> {
  const reply = await fetch(`http://127.0.0.1:${port}/v2/images?name=${name}`, { headers: { 'x-auth-token': token } });
  const { images } = (await reply.json()) as { images: Array<{ id: string }> };
  if (!images[0]) throw new Error(`image ${name} not found`);
  return images[0].id;
}

/** Tempest rebuilds onto image_ref_alt and checks the image changed: a second image with the same bytes. */
async function copyImage(port: number, token: string, id: string, name: string): Promise<string> {
  const base = `http://127.0.0.1:${port}/v2/images`;
  const source = (await (await fetch(`${base}/${id}`, { headers: { 'x-auth-token': token } })).json()) as Record<string, string>;
  const bytes = Buffer.from(await (await fetch(`${base}/${id}/file`, { headers: { 'x-auth-token': token } })).arrayBuffer());
  const created = await fetch(base, {
    method: 'POST',
    headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ name, disk_format: source.disk_format, container_format: source.container_format, visibility: 'public' }),
  });
  if (created.status !== 201) throw new Error(`image create: ${created.status} ${await created.text()}`);
  const image = (await created.json()) as { id: string };
  const put = await fetch(`${base}/${image.id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  if (put.status !== 204) throw new Error(`image upload: ${put.status} ${await put.text()}`);
  return image.id;
}

function writeConfig(workspace: string, values: { adminPassword: string; identityPort: number; imageRef: string; imageRefAlt: string }): void {
  const fill: Record<string, string> = {
    workspace,
    adminPassword: values.adminPassword,
    identityPort: String(values.identityPort),
    imageRef: values.imageRef,
    imageRefAlt: values.imageRefAlt,
    computeNodes: String(COMPUTE_NODES),
  };
  const text = readFileSync(join(HERE, 'tempest.conf.template'), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, key: string) => fill[key]);
  for (const d of ['etc', 'logs', 'locks']) mkdirSync(join(workspace, d), { recursive: true });
  writeFileSync(join(workspace, 'etc', 'tempest.conf'), text);
  // stestr's own configuration, as `tempest init` writes it: Tempest's test discovery from the installed package.
  writeFileSync(
    join(workspace, '.stestr.conf'),
    '[DEFAULT]\ntest_path=/usr/lib/python3/dist-packages/tempest/test_discover\ntop_dir=/usr/lib/python3/dist-packages\n',
  );
}

/**
 * Neutron on for a `tempest.api.network` run: the external network `public` of the first start for floating IPs, and
 * `api_extensions` as the cloud lists them, so Tempest skips the tests of extensions Stratus does not offer.
 */
async function enableNeutron(workspace: string, port: number, token: string): Promise<void> {
  const get = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'x-auth-token': token } })).json();
  const { networks } = (await get('/v2.0/networks?name=public')) as { networks: Array<{ id: string }> };
  const { extensions } = (await get('/v2.0/extensions')) as { extensions: Array<{ alias: string }> };
  if (!networks[0]) throw new Error('network public not found');
  const set: Record<string, string> = {
    neutron: 'true',
    public_network_id: networks[0].id,
    floating_network_name: 'public',
    floating_ips: 'true',
    api_extensions: extensions.map((e) => e.alias).join(','),
  };
  const file = join(workspace, 'etc', 'tempest.conf');
  const text = readFileSync(file, 'utf8').replace(/^(\w+) =.*$/gm, (line, key: string) => (key in set ? `${key} = ${set[key]}` : line));
  writeFileSync(file, text);
}

/** Reads the last stestr run (subunit) and prints the totals, then the failures and the skips with their reasons. */
async function summarize(workspace: string): Promise<number> {
  const subunit = await capture('stestr', ['last', '--subunit'], workspace);
  const report = (await capture('/usr/bin/python3', [SUBUNIT_SUMMARY], workspace, subunit)).toString('utf8');
  writeFileSync(join(workspace, 'summary.txt'), report);
  console.log(report);
  return /^failed: 0$/m.test(report) ? 0 : 1;
}

// Ctrl-C reaches Tempest and Stratus too (one process group): this process waits for both, then cleans up.
process.on('SIGINT', () => undefined);
process.exitCode = await main();
