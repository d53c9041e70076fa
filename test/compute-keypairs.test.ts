import test from 'ava';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, settled, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { idsOf, userWithRole } from './helpers/compute-users.js';
import { novaRefused } from './helpers/refusals.js';

// Key pairs through the Compute API at the microversions where Nova changes them: 2.2 (type,
// 201/204), 2.10 (user_id), 2.35 (paging), 2.92 (import only). Key pairs belong to users.
let c: ComputeCloud;
let reader: { id: string; token: string };
let demoUser: string;
let adminUser: string;
const KEYPAIR_QUOTA = 6;

test.before(async () => {
  c = await startComputeCloud('compute-keypairs', {
    libvirt: { simulatedHosts: 1 },
    quotas: { instances: 10, cores: 20, ramMb: 51_200, keyPairs: KEYPAIR_QUOTA },
  });
  reader = await userWithRole(c, 'viewer', 'reader', 'demo');
  demoUser = (await idsOf(c, 'demo', 'demo')).userId;
  adminUser = (await idsOf(c, 'admin', 'admin')).userId;
});
test.after.always(async () => {
  await c?.stop();
});

const call = (method: string, path: string, token: string, body?: unknown, version = '2.1') =>
  c.nova.call(method, `/v2.1${path}`, { token, body, headers: { 'OpenStack-API-Version': `compute ${version}` } });
const create = (keypair: Record<string, unknown>, version = '2.1', token = c.demo) => call('POST', '/os-keypairs', token, { keypair }, version);
const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as { message?: string } | undefined)?.message;
const md5Fingerprint = (line: string) =>
  createHash('md5')
    .update(Buffer.from(line.split(' ')[1], 'base64'))
    .digest('hex')
    .match(/../g)!
    .join(':');

function ed25519Line(): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const part = (b: Buffer) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    return Buffer.concat([n, b]);
  };
  return `ssh-ed25519 ${Buffer.concat([part(Buffer.from('ssh-ed25519')), part(Buffer.from(jwk.x!, 'base64url'))]).toString('base64')} me@laptop`;
}

test.serial('at 2.1 a key pair is generated (200): RSA in OpenSSH format, its PEM private key and MD5 fingerprint', async (t) => {
  const made = await create({ name: 'gen21' });
  t.is(made.status, 200);
  t.deepEqual(Object.keys(made.body.keypair).sort(), ['fingerprint', 'name', 'private_key', 'public_key', 'user_id']);
  const { public_key, private_key, fingerprint, user_id } = made.body.keypair;
  t.regex(public_key, /^ssh-rsa AAAAB3NzaC1yc2E\S+ Generated-by-Nova$/);
  t.regex(private_key, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/);
  t.is(fingerprint, md5Fingerprint(public_key));
  t.is(user_id, demoUser);
  // The private key really is the public key's other half: ssh-keygen derives the same public key from it.
  const dir = mkdtempSync(join(tmpdir(), 'kp-'));
  try {
    execFileSync('sh', ['-c', `umask 077; cat > ${join(dir, 'id')}`], { input: private_key });
    t.is(
      execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'id')])
        .toString()
        .trim()
        .split(' ')
        .slice(0, 2)
        .join(' '),
      public_key.split(' ').slice(0, 2).join(' '),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const shown = await call('GET', '/os-keypairs/gen21', c.demo);
  t.deepEqual(Object.keys(shown.body.keypair).sort(), [
    'created_at',
    'deleted',
    'deleted_at',
    'fingerprint',
    'id',
    'name',
    'public_key',
    'updated_at',
    'user_id',
  ]);
  t.like(shown.body.keypair, { name: 'gen21', public_key, fingerprint, user_id: demoUser, deleted: false, deleted_at: null, updated_at: null });
  t.regex(shown.body.keypair.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  t.is(typeof shown.body.keypair.id, 'number');
  const list = await call('GET', '/os-keypairs', c.demo);
  t.deepEqual(list.body, { keypairs: [{ keypair: { name: 'gen21', public_key, fingerprint } }] });
  t.deepEqual((await call('GET', '/os-keypairs', c.admin)).body, { keypairs: [] }, 'key pairs belong to their user');
  t.deepEqual((await call('GET', '/os-keypairs/gen21', c.admin)).body, {
    itemNotFound: { code: 404, message: `Keypair gen21 not found for user ${adminUser}` },
  });
  const removed = await call('DELETE', '/os-keypairs/gen21', c.demo);
  t.is(removed.status, 202);
  t.deepEqual((await call('DELETE', '/os-keypairs/gen21', c.demo)).body, {
    itemNotFound: { code: 404, message: `Keypair gen21 not found for user ${demoUser}` },
  });
});

test.serial('imports are parsed as real keys: malformed ones are 400, duplicates 409', async (t) => {
  const line = ed25519Line();
  const imported = await create({ name: 'laptop', public_key: line });
  t.is(imported.status, 200);
  t.deepEqual(imported.body.keypair, { name: 'laptop', public_key: line, fingerprint: md5Fingerprint(line), user_id: demoUser });
  const bad = 'Keypair data is invalid: failed to generate fingerprint';
  for (const key of ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ', 'not a key', line.replace('ssh-ed25519 ', 'ssh-rsa '), line.slice(0, 40)]) {
    const r = await create({ name: 'broken', public_key: key });
    t.deepEqual(r.body, { badRequest: { code: 400, message: bad } }, key);
  }
  t.deepEqual((await create({ name: 'laptop', public_key: line })).body, {
    conflictingRequest: { code: 409, message: "Key pair 'laptop' already exists." },
  });
  t.is(
    message(await create({ name: 'laptop', public_key: line, type: 'ssh' })),
    "Invalid input for field/attribute keypair. Value: {'name': 'laptop', 'public_key': '" +
      line +
      "', 'type': 'ssh'}. Additional properties are not allowed ('type' was unexpected)",
  );
  t.is(
    message(await create({ name: 'my.key' })),
    "An invalid 'name' value was provided. The name must be: Only expected characters: [_- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]",
  );
  t.is(
    message(await create({ name: ' padded' })),
    "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
  );
  t.is(message(await create({ name: '' })), "Invalid input for field/attribute name. Value: . '' is too short");
  t.is(message(await call('POST', '/os-keypairs', c.demo, { key: {} })), "'keypair' is a required property");
  await call('DELETE', '/os-keypairs/laptop', c.demo);
});

test.serial('2.2 adds type (ssh or x509), 201 on create and 204 on delete; x509 keys are PEM certificates', async (t) => {
  const made = await create({ name: 'typed' }, '2.2');
  t.is(made.status, 201);
  t.is(made.body.keypair.type, 'ssh');
  t.truthy(made.body.keypair.private_key);
  t.is((await call('GET', '/os-keypairs/typed', c.demo, undefined, '2.2')).body.keypair.type, 'ssh');
  t.deepEqual(Object.keys((await call('GET', '/os-keypairs', c.demo, undefined, '2.2')).body.keypairs[0].keypair).sort(), [
    'fingerprint',
    'name',
    'public_key',
    'type',
  ]);
  t.is((await call('DELETE', '/os-keypairs/typed', c.demo, undefined, '2.2')).status, 204);

  const dir = mkdtempSync(join(tmpdir(), 'x509-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-nodes', '-newkey', 'rsa:2048', '-days', '1', '-subj', '/CN=demo', '-keyout', join(dir, 'k'), '-out', join(dir, 'c')],
      { stdio: 'ignore' },
    );
    const pem = readFileSync(join(dir, 'c'), 'utf8');
    const sha1 = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha1', '-in', join(dir, 'c')])
      .toString()
      .trim()
      .split('=')[1]
      .toLowerCase();
    const cert = await create({ name: 'winrm', type: 'x509', public_key: pem }, '2.2');
    t.is(cert.status, 201);
    t.like(cert.body.keypair, { type: 'x509', fingerprint: sha1, public_key: pem });
    t.is(cert.body.keypair.private_key, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const garbage = await create({ name: 'winrm2', type: 'x509', public_key: 'not a certificate' }, '2.2');
  t.is(garbage.status, 400);
  t.regex(message(garbage)!, /^Keypair data is invalid: failed to generate X509 fingerprint\. Error message: /);
  const generated = await create({ name: 'winrm3', type: 'x509' }, '2.2');
  t.is(generated.status, 201);
  t.regex(generated.body.keypair.public_key, /^-----BEGIN CERTIFICATE-----/);
  t.regex(generated.body.keypair.fingerprint, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  t.regex(generated.body.keypair.private_key, /^[A-Za-z0-9+/]+=*$/, 'a PKCS#12 bundle in base64, as Nova hands it out');
  t.is(
    message(await create({ name: 'odd', type: 'gpg' }, '2.2')),
    "Invalid input for field/attribute type. Value: gpg. 'gpg' is not one of ['ssh', 'x509']",
  );
  await call('DELETE', '/os-keypairs/winrm', c.demo, undefined, '2.2');
  await call('DELETE', '/os-keypairs/winrm3', c.demo, undefined, '2.2');
});

test.serial('from 2.10 an admin acts for another user with user_id; others may not', async (t) => {
  t.is(
    message(await create({ name: 'for-demo', user_id: demoUser }, '2.9', c.admin)),
    "Invalid input for field/attribute keypair. Value: {'name': 'for-demo', 'user_id': '" +
      demoUser +
      "'}. Additional properties are not allowed ('user_id' was unexpected)",
  );
  const made = await create({ name: 'for-demo', user_id: demoUser }, '2.10', c.admin);
  t.is(made.status, 201);
  t.is(made.body.keypair.user_id, demoUser);
  t.deepEqual(
    (await call('GET', '/os-keypairs', c.demo, undefined, '2.10')).body.keypairs.map((k: any) => k.keypair.name),
    ['for-demo'],
  );
  t.is((await call('GET', `/os-keypairs/for-demo?user_id=${demoUser}`, c.admin, undefined, '2.10')).body.keypair.user_id, demoUser);
  novaRefused(
    t,
    await call('GET', `/os-keypairs/for-demo?user_id=${demoUser}`, c.admin, undefined, '2.9'),
    404,
    `Keypair for-demo not found for user ${adminUser}`,
  ); // user_id is no query before 2.10
  t.deepEqual((await call('GET', `/os-keypairs?user_id=${adminUser}`, c.demo, undefined, '2.10')).body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-keypairs:index to be performed." },
  });
  novaRefused(
    t,
    await create({ name: 'for-admin', user_id: adminUser }, '2.10', c.demo),
    403,
    "Policy doesn't allow os_compute_api:os-keypairs:create to be performed.",
  );
  novaRefused(
    t,
    await call('GET', `/os-keypairs/x?user_id=${adminUser}`, c.demo, undefined, '2.10'),
    403,
    "Policy doesn't allow os_compute_api:os-keypairs:show to be performed.",
  );
  novaRefused(
    t,
    await call('DELETE', `/os-keypairs/for-demo?user_id=${demoUser}`, reader.token, undefined, '2.10'),
    403,
    "Policy doesn't allow os_compute_api:os-keypairs:delete to be performed.",
  );
  t.is((await call('DELETE', `/os-keypairs/for-demo?user_id=${demoUser}`, c.admin, undefined, '2.10')).status, 204);
  // Nova's rule is the user's own id, whatever the role: a reader keeps key pairs of their own.
  const readers = await create({ name: 'readers' }, '2.10', reader.token);
  t.is(readers.status, 201);
  t.is(readers.body.keypair.user_id, reader.id);
  t.is((await call('DELETE', '/os-keypairs/readers', reader.token, undefined, '2.10')).status, 204);
  t.is(
    message(await call('GET', '/os-keypairs?colour=red', c.demo, undefined, '2.75')),
    "Additional properties are not allowed ('colour' was unexpected)",
  );
});

test.serial('from 2.35 lists page by name with limit and marker and keypairs_links', async (t) => {
  for (const name of ['kp-c', 'kp-a', 'kp-b']) t.is((await create({ name, public_key: ed25519Line() }, '2.35')).status, 201);
  const page = await call('GET', '/os-keypairs?limit=2', c.demo, undefined, '2.35');
  t.deepEqual(
    page.body.keypairs.map((k: any) => k.keypair.name),
    ['kp-a', 'kp-b'],
  );
  const next = new URL(page.body.keypairs_links[0].href);
  t.is(page.body.keypairs_links[0].rel, 'next');
  t.regex(next.pathname, /\/v2\.1\/os-keypairs$/);
  t.deepEqual(Object.fromEntries(next.searchParams), { limit: '2', marker: 'kp-b' });
  const rest = await call('GET', `/os-keypairs${next.search}`, c.demo, undefined, '2.35');
  t.deepEqual(rest.body, { keypairs: [{ keypair: rest.body.keypairs[0].keypair }] });
  t.is(rest.body.keypairs[0].keypair.name, 'kp-c');
  t.deepEqual((await call('GET', '/os-keypairs?marker=kp-zz', c.demo, undefined, '2.35')).body, {
    badRequest: { code: 400, message: 'Marker kp-zz could not be found.' },
  });
  t.is(
    message(await call('GET', '/os-keypairs?limit=two', c.demo, undefined, '2.35')),
    "Invalid input for query parameters limit. Value: two. 'two' does not match '^[0-9]*$'",
  );
  const unpaged = await call('GET', '/os-keypairs?limit=1', c.demo, undefined, '2.34');
  t.is(unpaged.body.keypairs.length, 3, 'limit means nothing before 2.35');
  t.false('keypairs_links' in unpaged.body);
});

test.serial('2.92 refuses generation (public_key is required) and allows @ and . in names', async (t) => {
  const generate = await create({ name: 'gen92' }, '2.92');
  t.deepEqual(generate.body, {
    badRequest: { code: 400, message: "Invalid input for field/attribute keypair. Value: {'name': 'gen92'}. 'public_key' is a required property" },
  });
  t.is((await create({ name: 'gen91' }, '2.91')).status, 201);
  const line = ed25519Line();
  const dotted = await create({ name: 'me@host.example', type: 'ssh', public_key: line }, '2.92');
  t.is(dotted.status, 201);
  t.deepEqual(dotted.body.keypair, { type: 'ssh', name: 'me@host.example', public_key: line, fingerprint: md5Fingerprint(line), user_id: demoUser });
  t.is(
    message(await create({ name: 'me@host', public_key: line }, '2.91')),
    "An invalid 'name' value was provided. The name must be: Only expected characters: [_- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]",
  );
  t.is(
    message(await create({ name: 'a/b', public_key: line }, '2.92')),
    "An invalid 'name' value was provided. The name must be: Only expected characters: [@._- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]",
  );
});

test.serial('key pairs are limited per user by quota (403 past it), and limits shows the limit', async (t) => {
  const limits = await call('GET', '/limits', c.demo);
  t.is(limits.body.limits.absolute.maxTotalKeypairs, KEYPAIR_QUOTA);
  const count = (await call('GET', '/os-keypairs', c.demo)).body.keypairs.length;
  for (let i = count; i < KEYPAIR_QUOTA; i++) t.is((await create({ name: `fill-${i}`, public_key: ed25519Line() })).status, 200);
  const over = await create({ name: 'one-too-many', public_key: ed25519Line() });
  t.deepEqual(over.body, { forbidden: { code: 403, message: 'Quota exceeded, too many key pairs.' } });
  t.is((await create({ name: 'other-user', public_key: ed25519Line() }, '2.1', reader.token)).status, 200, 'the count is per user');
  t.is((await call('GET', '/os-keypairs', c.demo)).body.keypairs.length, KEYPAIR_QUOTA);
  await call('DELETE', '/os-keypairs/fill-5', c.demo);
});

test.serial("a server boots with its user's key pair by key_name; anyone else's or an unknown one is 400", async (t) => {
  const booted = await boot(c.nova, c.demo, 'keyed', { key_name: 'kp-a' });
  t.is(booted.status, 202);
  const [server] = (await settled(c.nova, c.admin)).filter((s) => s.name === 'keyed');
  t.is(server.key_name, 'kp-a');
  t.is(server.status, 'ACTIVE');
  t.deepEqual((await boot(c.nova, c.demo, 'nokey', { key_name: 'no-such-key' })).body, {
    badRequest: { code: 400, message: 'Invalid key_name provided.' },
  });
  novaRefused(t, await boot(c.nova, c.admin, 'stolen', { key_name: 'kp-a' }), 400, 'Invalid key_name provided.'); // the admin's own key pairs do not include demo's
  t.false((await call('GET', '/servers?all_tenants=1', c.admin)).body.servers.some((s: any) => ['nokey', 'stolen'].includes(s.name)));
});
