import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_BANNER, TINY_SIZE, tinyImage } from '../http/images/tiny-image.js';
import { eventually } from './helpers/drive.js';

const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
};

test('stratus-tiny is a raw disk with a BIOS boot signature', (t) => {
  const disk = tinyImage();
  t.is(disk.length, TINY_SIZE);
  t.is(disk.readUInt16LE(510), 0xaa55);
  t.true(disk.includes(Buffer.from(TINY_BANNER)));
  t.deepEqual(tinyImage(), disk, 'the same bytes every time');
});

test('stratus-tiny boots under QEMU, prints its banner on COM1 and then idles', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-tiny-'));
  const disk = join(dir, 'tiny.raw');
  const serial = join(dir, 'serial.txt');
  writeFileSync(disk, tinyImage());
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-machine',
      'pc',
      '-accel',
      'tcg',
      '-m',
      '32',
      '-display',
      'none',
      '-monitor',
      'none',
      '-nodefaults',
      '-vga',
      'std',
      '-serial',
      `file:${serial}`,
      '-drive',
      `file=${disk},format=raw,if=ide`,
      '-no-reboot',
    ],
    { stdio: 'ignore' },
  );
  try {
    await eventually(() => existsSync(serial) && readFileSync(serial, 'latin1').includes(TINY_BANNER), 60_000, 50);
    t.is(readFileSync(serial, 'latin1'), `${TINY_BANNER}\r\n`);
    // Once the banner is out the guest sits in hlt: over a second it may use a small share of a core.
    const ticksPerSecond = 100;
    const before = cpuTicks(qemu.pid!);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const used = (cpuTicks(qemu.pid!) - before) / ticksPerSecond;
    const elapsed = (Date.now() - started) / 1000;
    t.log(`QEMU used ${((100 * used) / elapsed).toFixed(1)}% of a core while idle`);
    t.true(used / elapsed < 0.25, `idle CPU share ${used / elapsed}`);
  } finally {
    qemu.kill('SIGKILL');
    await once(qemu, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
});
