import test from 'ava';
import { clientsPass } from './helpers/database.js';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { openstack, python, startCloudProcess } from './helpers/cloud-process.js';
import { eventually } from './helpers/drive.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';

const inThisPass = clientsPass('sqlite');
const run = inThisPass ? test : test.skip;

// Debian's python3-openstackclient and python3-openstacksdk against the image service.

run('images with the openstack CLI: create, list, show, save, set, unset, share, delete and refusals', async (t) => {
  const c = await startTestCloud('images-osc');
  const as =
    (cloud: string) =>
    async (...args: string[]) => ({ ...(await openstack(c.cloudsYaml, ['--os-cloud', cloud, ...args])), args });
  const admin = as('stratus');
  const demo = as('stratus-demo');
  const ok = async (r: Promise<{ code: number; stderr: string; stdout: string; json: any; args: string[] }>) => {
    const done = await r;
    t.is(done.code, 0, `openstack ${done.args.join(' ')}: ${done.stderr}${done.stdout}`);
    return done.json;
  };

  t.true((await ok(demo('image', 'list', '-f', 'json'))).some((i: { Name: string }) => i.Name === 'stratus-tiny'));
  const file = join(c.dir, 'upload.raw');
  const data = randomBytes(2 * 1024 * 1024 + 5);
  writeFileSync(file, data);
  const created = await ok(
    demo(
      'image',
      'create',
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      '--file',
      file,
      '--property',
      'os_distro=cirros',
      '--tag',
      'small',
      'mine',
      '-f',
      'json',
    ),
  );
  const shown = await ok(demo('image', 'show', 'mine', '-f', 'json'));
  t.is(shown.status, 'active');
  t.is(shown.size, data.length);
  t.is(shown.checksum, createHash('md5').update(data).digest('hex'));
  t.deepEqual(shown.tags, ['small']);
  t.is(shown.properties.os_distro, 'cirros');
  t.deepEqual(
    (await ok(demo('image', 'list', '--property', 'os_distro=cirros', '-f', 'json'))).map((i: { Name: string }) => i.Name),
    ['mine'],
  );
  t.deepEqual(
    (await ok(demo('image', 'list', '--tag', 'small', '-f', 'json'))).map((i: { Name: string }) => i.Name),
    ['mine'],
  );
  const saved = join(c.dir, 'saved.raw');
  await ok(demo('image', 'save', '--file', saved, 'mine'));
  t.deepEqual(readFileSync(saved), data);
  await ok(demo('image', 'set', '--property', 'colour=blue', '--min-ram', '64', '--tag', 'blue', 'mine'));
  await ok(demo('image', 'unset', '--property', 'os_distro', '--tag', 'small', 'mine'));
  const changed = await ok(demo('image', 'show', 'mine', '-f', 'json'));
  t.is(changed.min_ram, 64);
  t.is(changed.properties.colour, 'blue');
  t.is(changed.properties.os_distro, undefined);
  t.deepEqual(changed.tags, ['blue']);

  // Sharing from admin's project to demo's, accepted by demo.
  const demoProject = (await ok(admin('project', 'show', 'demo', '-f', 'json'))).id;
  const secret = await ok(admin('image', 'create', '--private', 'admins-only', '-f', 'json'));
  t.regex(
    (await demo('image', 'show', secret.id)).stderr,
    new RegExp(`No Image found for ${secret.id}`),
    "another project's private image is not found",
  );
  await ok(admin('image', 'set', '--shared', 'admins-only'));
  await ok(admin('image', 'add', 'project', 'admins-only', demoProject));
  t.false(
    (await ok(demo('image', 'list', '-f', 'json'))).some((i: { Name: string }) => i.Name === 'admins-only'),
    'pending shares stay out of the list',
  );
  await ok(demo('image', 'set', '--accept', secret.id));
  t.true((await ok(demo('image', 'list', '-f', 'json'))).some((i: { Name: string }) => i.Name === 'admins-only'));

  const publicByMember = await demo('image', 'create', '--public', 'not-allowed');
  t.regex(publicByMember.stderr, /HttpException: 403: .*Only an administrator may publicize an image\./);
  await ok(demo('image', 'set', '--protected', 'mine'));
  const protectedDelete = await demo('image', 'delete', 'mine');
  t.not(protectedDelete.code, 0, 'a protected image is not deleted');
  t.regex(protectedDelete.stderr, /HttpException: 403: .*Image [0-9a-f-]{36} is protected and cannot be deleted\./);
  await ok(demo('image', 'set', '--unprotected', 'mine'));
  await ok(demo('image', 'delete', 'mine'));
  t.false((await ok(demo('image', 'list', '-f', 'json'))).some((i: { Name: string }) => i.Name === 'mine'));
  t.truthy(created.id);
  await stopTestCloud(c);
});

const SDK_SCRIPT = `
import hashlib, json, os, sys, openstack
conn = openstack.connect(cloud='stratus-demo')
size = 1024 * 1024 * 1024
chunk = os.urandom(1024 * 1024)
md5 = hashlib.md5()
progress = []
def source():
    sent = 0
    while sent < size:
        sent += len(chunk)
        md5.update(chunk)
        if sent % (256 * 1024 * 1024) == 0: progress.append(sent)
        yield chunk
image = conn.image.create_image(name='big', disk_format='raw', container_format='bare', data=source(), validate_checksum=False)
image = conn.image.get_image(image.id)
tags = conn.image.add_tag(image, 'sdk')
conn.image.update_image(image, min_disk=2, note='from sdk')
again = conn.image.get_image(image.id)
listed = [i.name for i in conn.image.images(tag='sdk')]
conn.image.delete_image(image)
print(json.dumps({'status': image.status, 'size': image.size, 'checksum': image.checksum, 'md5': md5.hexdigest(),
                  'progress': progress, 'min_disk': again.min_disk, 'note': again.properties.get('note'), 'listed': listed}))
`;

run('openstacksdk: a 1 GiB upload with progress, tags, properties and delete', async (t) => {
  const c = await startTestCloud('images-sdk');
  const r = await python(c.cloudsYaml, SDK_SCRIPT);
  t.is(r.code, 0, r.stderr);
  t.like(r.json, { status: 'active', size: 1024 ** 3, min_disk: 2, note: 'from sdk', listed: ['big'] });
  t.is(r.json.checksum, r.json.md5, 'the stored checksum is the md5 of what was sent');
  t.deepEqual(
    r.json.progress,
    [1, 2, 3, 4].map((q) => q * 256 * 1024 * 1024),
    'the upload reported its progress',
  );
  await stopTestCloud(c);
});

run('an upload cut by kill -9 of the server leaves the image queued and no stray bytes after the next start', async (t) => {
  const c = await startTestCloud('images-kill');
  const storeDir = join(c.env.STRATUS_STATE_DIR, 'images');
  const token = (await openstack(c.cloudsYaml, ['--os-cloud', 'stratus', 'token', 'issue', '-f', 'json'])).json.id;
  const imageUrl = c.cloud.started().images;
  const id = (
    await (
      await fetch(`${imageUrl}/v2/images`, {
        method: 'POST',
        headers: { 'x-auth-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'interrupted', disk_format: 'raw', container_format: 'bare' }),
      })
    ).json()
  ).id;
  // Send part of a large upload, then kill the server while it is writing.
  const upload = request(`${imageUrl}/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', 'content-length': String(64 * 1024 * 1024) },
  });
  upload.on('error', () => {});
  upload.write(randomBytes(4 * 1024 * 1024));
  await eventually(() => readdirSync(storeDir).some((f) => f.endsWith('.partial')), 30_000);
  c.cloud.child.kill('SIGKILL');
  await once(c.cloud.child, 'exit');
  upload.destroy();

  c.cloud = await startCloudProcess(c.env);
  t.false(
    readdirSync(storeDir).some((f) => f.endsWith('.partial')),
    'no partial bytes are left',
  );
  t.false(readdirSync(storeDir).includes(id), 'no image file was made');
  const shown = await openstack(c.cloudsYaml, ['--os-cloud', 'stratus', 'image', 'show', id, '-f', 'json']);
  t.is(shown.json.status, 'queued', 'the cut upload leaves the image queued, ready for another upload');
  await stopTestCloud(c);
});
