import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../cluster.config.js';
import { startCloud } from '../bin/cloud.js';
import { createLogger } from '../runtime/logger.js';
import { createTestDatabase } from './helpers/database.js';
import { boot } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { client } from './helpers/identity.js';

const ADMIN = 'Adm1n-secret-word-4c1f';
const DEMO = 'Dem0-secret-word-9b2e';
const USER_DATA_SECRET = 'user-data-secret-7d3a91';
const ADMIN_PASS = 'server-admin-pass-58e0c2';

// The cloud's own log, at debug, captured while secrets pass through it: a login, boots with user data and an
// adminPass, a generated key pair, and a boot whose commit the database refuses (the store's script, which
// holds the user data literally, is in the error the runtime logs).
test('no password, token, user data, adminPass or private key reaches the log, even when a write fails', async (t) => {
  const database = await createTestDatabase('log-redaction');
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({
    env: {},
    overrides: {
      stateDir: join(dir, 's'),
      databaseUrl: database.url,
      listen: { ops: 0, identity: 0, image: 0, network: 0, compute: 0, metadata: 0, console: 0, admin: 0 },
      consoles: { spicePort: 0, serialPort: 0 },
      identity: { cloudsYaml: join(dir, 'clouds.yaml') },
      log: { level: 'debug' },
      supervision: { backoffBaseMs: 1, backoffMaxMs: 5 },
      // Simulated hosts only: no private QEMU daemon to pay for (and none left running after the test).
      libvirt: { realHost: false },
      dataplane: { enabled: 'off' },
    },
  });
  const cloud = await startCloud(config, createLogger('debug', sink), { adminPassword: ADMIN, demoPassword: DEMO });
  try {
    const keystone = client(cloud.identity!.publicUrl);
    const nova = client(cloud.compute!.url);
    const login = await keystone.login('admin', ADMIN, 'admin');
    const token = login.token!;
    t.is((await keystone.login('admin', 'wrong-password-1f9e', 'admin')).status, 401);
    t.is((await keystone.call('GET', '/v3/auth/tokens', { token, headers: { 'X-Subject-Token': token } })).status, 200);

    const userData = Buffer.from(`#!/bin/sh\necho ${USER_DATA_SECRET}\n`).toString('base64');
    t.is((await boot(nova, token, 'with-secrets', { user_data: userData, adminPass: ADMIN_PASS })).status, 202);
    const keypair = await nova.call('POST', '/v2.1/os-keypairs', { token, body: { keypair: { name: 'generated' } } });
    t.is(keypair.status, 200);
    const privateKey = keypair.body.keypair.private_key as string;
    t.truthy(privateKey);

    const q = (sql: string) => cloud.db.sequelize.query(sql);
    if (cloud.db.dialect === 'sqlite') {
      await q(`CREATE TRIGGER test_instances_fault BEFORE INSERT ON instances BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`);
    } else {
      await q(`CREATE FUNCTION test_instances_fault() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected write failure'; END $$ LANGUAGE plpgsql`);
      await q('CREATE TRIGGER test_instances_fault BEFORE INSERT ON instances FOR EACH ROW EXECUTE FUNCTION test_instances_fault()');
    }
    const refused = await boot(nova, token, 'write-refused', { user_data: userData, adminPass: ADMIN_PASS });
    t.true(refused.status >= 400, `the refused write fails the boot (${refused.status})`);
    await eventually(() => lines.some((l) => l.includes('injected write failure')), 30_000);

    const log = lines.join('\n');
    t.true(
      lines.every((l) => {
        try {
          JSON.parse(l);
          return true;
        } catch {
          return false;
        }
      }),
      'every line is JSON',
    );
    const secrets = {
      'admin password': ADMIN,
      'demo password': DEMO,
      'wrong password': 'wrong-password-1f9e',
      token,
      'user data (base64)': userData,
      'user data (decoded)': USER_DATA_SECRET,
      adminPass: ADMIN_PASS,
      'private key': privateKey.split('\n')[1],
    };
    for (const [what, secret] of Object.entries(secrets)) t.false(log.includes(secret), `the log holds the ${what}`);
    t.true(
      lines.some((l) => l.includes('"msg":"request"')),
      'requests were logged',
    );
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
});

test('fields that name a secret are redacted wherever a log call puts them, and errors lose their statements', (t) => {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const failed = Object.assign(new Error('insert failed'), {
    code: 'E1',
    sql: "INSERT INTO instances VALUES ('sql-secret')",
    parameters: ['param-secret'],
    parent: { detail: 'detail-secret' },
  });
  logger.info(
    {
      password: 'p-secret',
      request: { adminPass: 'a-secret', headers: { 'x-auth-token': 't-secret', 'x-subject-token': 's-secret' } },
      user_data: 'u-secret',
    },
    'm',
  );
  logger.error({ err: failed }, 'write failed');
  const [first, second] = lines.map((l) => JSON.parse(l));
  t.is(first.password, '[redacted]');
  t.is(first.user_data, '[redacted]');
  t.is(first.request.adminPass, '[redacted]');
  t.is(first.request.headers['x-auth-token'], '[redacted]');
  t.is(first.request.headers['x-subject-token'], '[redacted]');
  t.like(second.err, { type: 'Error', message: 'insert failed', code: 'E1' });
  t.false(/secret/.test(lines.join('')), lines.join(''));
});
