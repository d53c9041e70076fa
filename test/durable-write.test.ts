import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileDurably } from '../drivers/fs/durable-write.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'stratus-durable-'));

test('a durable write replaces the file whole, owner-only, and leaves no temporary file', (t) => {
  const dir = scratch();
  const path = join(dir, 'clouds.yaml');
  writeFileSync(path, 'old');
  writeFileDurably(path, 'new content', { mode: 0o600 });
  t.is(readFileSync(path, 'utf8'), 'new content');
  t.is(statSync(path).mode & 0o777, 0o600);
  t.deepEqual(readdirSync(dir), ['clouds.yaml']);
  rmSync(dir, { recursive: true });
});

test('an exclusive durable write refuses an existing file with EEXIST, keeps it, and leaves no temporary file', (t) => {
  const dir = scratch();
  const path = join(dir, 'credentials.key');
  writeFileDurably(path, 'first', { exclusive: true });
  const error = t.throws(() => writeFileDurably(path, 'second', { exclusive: true }));
  t.is((error as NodeJS.ErrnoException).code, 'EEXIST');
  t.is(readFileSync(path, 'utf8'), 'first');
  t.deepEqual(readdirSync(dir), ['credentials.key']);
  rmSync(dir, { recursive: true });
});

test('a durable write into a missing directory fails and creates nothing', (t) => {
  const dir = scratch();
  const error = t.throws(() => writeFileDurably(join(dir, 'absent', 'x'), 'data'));
  t.is((error as NodeJS.ErrnoException).code, 'ENOENT');
  t.deepEqual(readdirSync(dir), []);
  rmSync(dir, { recursive: true });
});
