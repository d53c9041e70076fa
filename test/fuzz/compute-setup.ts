import fc from 'fast-check';
import { bootActive, startComputeCloud, userWithRole, type ComputeCloud } from '../helpers/compute.js';
import { credentials } from './requests.js';

/** Microversion headers: every version, `latest`, none, out of range, garbage, the legacy header. */
export const versions: fc.Arbitrary<{ version: string; headers: Record<string, string> }> = fc
  .oneof(
    { weight: 12, arbitrary: fc.integer({ min: 1, max: 93 }).map((n) => `2.${n}`) },
    { weight: 2, arbitrary: fc.constantFrom('latest', 'LATEST') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '2.94',
        '2.0',
        '3.0',
        '1.1',
        '2.100',
        '2.01',
        '02.1',
        '2.',
        '.1',
        '2.1.1',
        '',
        ' ',
        'compute',
        '-2.1',
        '2.1e3',
        '2.99999999999999999999',
        '١.١',
      ),
    },
  )
  .chain((version) =>
    fc.constantFrom<{ version: string; headers: Record<string, string> }>(
      { version, headers: { 'OpenStack-API-Version': `compute ${version}` } },
      { version, headers: { 'OpenStack-API-Version': `COMPUTE ${version}, identity 3.0` } },
      { version, headers: { 'X-OpenStack-Nova-API-Version': version } },
      { version: '2.1', headers: {} },
      { version, headers: { 'OpenStack-API-Version': version } },
    ),
  );

/** Parses a header's version the way the tests need it for schemas: a valid one, else 2.1's. */
export function schemaVersion(text: string): string {
  if (/^latest$/i.test(text)) return '2.93';
  const m = /^2\.([1-9]\d?)$/.exec(text);
  return m && Number(m[1]) <= 93 ? `2.${m[1]}` : '2.1';
}

export interface FuzzCompute {
  c: ComputeCloud;
  projectId: string;
  auth: fc.Arbitrary<Record<string, string>>;
  servers: string[];
}

/** A cloud with one simulated host, a `fuzz` project (Nova's default quotas) with an admin, a member and a reader, and two servers in it. */
export async function fuzzCompute(name: string): Promise<FuzzCompute> {
  const c = await startComputeCloud(name, { libvirt: { simulatedHosts: 1 } }, undefined, { judged: false });
  const admin = await userWithRole(c, 'fuzz-admin', 'admin', 'fuzz');
  const member = await userWithRole(c, 'fuzz-member', 'member', 'fuzz');
  const reader = await userWithRole(c, 'fuzz-reader', 'reader', 'fuzz');
  const projectId = (await c.keystone.call('GET', '/v3/projects?name=fuzz', { token: c.admin })).body.projects[0].id as string;
  const servers = [await bootActive(c, member, 'fuzz-1'), await bootActive(c, member, 'fuzz-2')];
  return { c, projectId, auth: credentials({ admin, member, reader }), servers };
}
