#!/usr/bin/env node
// `npm run sdk-functional [-- --regex <re>] [--concurrency <n>] [--keep]`: runs openstacksdk's own functional tests
// for identity and image (Debian's python3-openstacksdk 0.101, under openstack/tests/functional/) against a fresh
// Stratus of its own (test/helpers/standalone-cloud.ts), then prints passed/failed/skipped and the lists.
// Test machinery: not part of `npm test`, never imported by the product.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { capture, runInherited, startStandaloneCloud, SUBUNIT_SUMMARY } from '../helpers/standalone-cloud.js';

// The identity and image modules of the SDK's functional tests, and compute's image one (Nova's image proxy); the
// others drive services Stratus does not run (networks, volumes, DNS, orchestration, …) or the rest of compute, and the
// `examples` ones import a source checkout's `examples`.
const MODULES = [
  'identity.v3.test_application_credential',
  'image.v2.test_image',
  'compute.v2.test_image',
  'cloud.test_domain',
  'cloud.test_endpoints',
  'cloud.test_groups',
  'cloud.test_identity',
  'cloud.test_image',
  'cloud.test_project',
  'cloud.test_services',
  'cloud.test_users',
].map((m) => `openstack.tests.functional.${m}`);

const { values: options } = parseArgs({
  options: {
    regex: { type: 'string', default: '' },
    // The SDK's own functional runs are serial (its tox.ini: `stestr run --serial`): tests of one class reuse names
    // (testtools' getUniqueString counts per test), so two workers in one project see each other's `image-1`.
    concurrency: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});

async function main(): Promise<number> {
  const cloud = await startStandaloneCloud({ name: 'sdkfunc', computeNodes: 1 });
  const { workspace } = cloud;
  try {
    const altPassword = randomBytes(12).toString('hex');
    await createAltDemo(cloud.ports.identity, await cloud.adminToken(), altPassword);
    const cloudsYaml = join(workspace, 'clouds.yaml');
    writeFileSync(
      cloudsYaml,
      cloudsYamlText(`http://127.0.0.1:${cloud.ports.identity}/v3`, [
        { name: 'devstack-admin', user: 'admin', password: cloud.adminPassword, project: 'admin' },
        { name: 'devstack', user: 'demo', password: cloud.demoPassword, project: 'demo' },
        { name: 'devstack-alt', user: 'alt_demo', password: altPassword, project: 'alt_demo' },
      ]),
      { mode: 0o600 },
    );
    // Discovering the whole functional tree fails on the `examples` modules: stestr discovers a package of the
    // workspace whose load_tests loads the chosen modules from the installed SDK.
    mkdirSync(join(workspace, 'sdk_modules'));
    writeFileSync(
      join(workspace, 'sdk_modules', '__init__.py'),
      `MODULES = ${JSON.stringify(MODULES)}\n\n\ndef load_tests(loader, tests, pattern):\n    return loader.loadTestsFromNames(MODULES)\n`,
    );
    writeFileSync(join(workspace, '.stestr.conf'), '[DEFAULT]\ntest_path=./sdk_modules\ntop_dir=./\n');
    console.log(`sdk-functional: workspace ${workspace}, Stratus identity at http://127.0.0.1:${cloud.ports.identity}/v3 (${cloud.databaseLabel})`);
    // image.v2.test_image uploads the SDK source tree's CONTRIBUTING.rst from the working directory.
    writeFileSync(join(workspace, 'CONTRIBUTING.rst'), 'openstacksdk functional tests: image data\n'.repeat(64));
    const env = { OS_CLIENT_CONFIG_FILE: cloudsYaml, OPENSTACKSDK_IMAGE: 'stratus-tiny' };
    await runInherited('stestr', ['init'], workspace);
    await runInherited('stestr', ['run', '--concurrency', options.concurrency, ...(options.regex ? [options.regex] : [])], workspace, env);
    const subunit = await capture('stestr', ['last', '--subunit'], workspace);
    const report = (await capture('/usr/bin/python3', [SUBUNIT_SUMMARY], workspace, subunit)).toString('utf8');
    writeFileSync(join(workspace, 'summary.txt'), report);
    console.log(report);
    return /^failed: 0$/m.test(report) ? 0 : 1;
  } finally {
    await cloud.stop(options.keep);
  }
}

/** Devstack's second demo user, `alt_demo`, member on a project of the same name: the SDK's `devstack-alt` cloud. */
async function createAltDemo(port: number, token: string, password: string): Promise<void> {
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const reply = await fetch(`http://127.0.0.1:${port}/v3${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${await reply.text()}`);
    return reply.status === 204 ? undefined : reply.json();
  };
  const { project } = await call('POST', '/projects', { project: { name: 'alt_demo', domain_id: 'default' } });
  const { user } = await call('POST', '/users', {
    user: { name: 'alt_demo', domain_id: 'default', password, default_project_id: project.id },
  });
  const { roles } = await call('GET', '/roles?name=member');
  await call('PUT', `/projects/${project.id}/users/${user.id}/roles/${roles[0].id}`);
}

function cloudsYamlText(authUrl: string, clouds: Array<{ name: string; user: string; password: string; project: string }>): string {
  const entries = clouds.map(
    (c) => `  ${c.name}:
    auth:
      auth_url: ${authUrl}
      username: ${c.user}
      password: ${c.password}
      project_name: ${c.project}
      user_domain_id: default
      project_domain_id: default
    region_name: RegionOne
    identity_api_version: 3
`,
  );
  return `clouds:\n${entries.join('')}`;
}

// Ctrl-C reaches the tests and Stratus too (one process group): this process waits for both, then cleans up.
process.on('SIGINT', () => undefined);
process.exitCode = await main();
