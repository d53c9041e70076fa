import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_LOG_LIMIT, consoleLogTail } from '../drivers/qemu/console-log.js';
import { consolePortTaken, pickSerialPort, portIsFree } from '../drivers/qemu/serial-ports.js';
import { vncPassword } from '../drivers/qemu/vnc-password.js';

const dir = mkdtempSync(join(tmpdir(), 'consoles-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const listening = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: Server) => new Promise((r) => server.close(r));

test('a console log tail is at most 100 KiB: the end of the file', async (t) => {
  const file = join(dir, 'long.log');
  const head = 'x'.repeat(50 * 1024);
  const end = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`)
    .join('')
    .padStart(CONSOLE_LOG_LIMIT, '-');
  writeFileSync(file, head + end);
  const output = await consoleLogTail(file);
  t.is(output.length, CONSOLE_LOG_LIMIT);
  t.is(output, end);
  t.true(output.endsWith('line 1999\n'));
});

test('a console log tail with `lines` gives the last lines, split at newlines as Nova does', async (t) => {
  const file = join(dir, 'lines.log');
  writeFileSync(file, 'one\ntwo\nthree\nfour');
  t.is(await consoleLogTail(file, { lines: 2 }), 'three\nfour');
  t.is(await consoleLogTail(file, { lines: 10 }), 'one\ntwo\nthree\nfour');
  t.is(await consoleLogTail(file, { lines: 0 }), '');
  writeFileSync(file, 'one\ntwo\n');
  t.is(await consoleLogTail(file, { lines: 2 }), 'two\n', 'the empty remainder after the last newline counts as a line');
});

test('a console log shorter than the limit is completed from the rotated file', async (t) => {
  const file = join(dir, 'rotated.log');
  writeFileSync(`${file}.0`, 'a'.repeat(CONSOLE_LOG_LIMIT) + '\nolder\n');
  writeFileSync(file, 'newer\n');
  const output = await consoleLogTail(file);
  t.is(output.length, CONSOLE_LOG_LIMIT);
  t.true(output.endsWith('older\nnewer\n'), 'the rotated file’s end comes first, then the current file');
  t.is(await consoleLogTail(file, { lines: 3 }), 'older\nnewer\n');
  writeFileSync(`${file}.1`, 'oldest\n');
  t.false((await consoleLogTail(file)).includes('oldest'), 'only the last rotated file is read');
});

test('a missing console log gives empty output; a rotated file alone is read', async (t) => {
  t.is(await consoleLogTail(join(dir, 'missing.log')), '');
  t.is(await consoleLogTail(join(dir, 'missing.log'), { lines: 5 }), '');
  writeFileSync(join(dir, 'only-rotated.log.0'), 'before rotation\n');
  t.is(await consoleLogTail(join(dir, 'only-rotated.log')), 'before rotation\n');
});

// A port this test listens on, with the next two free (other processes on the machine use ports too).
async function listeningBeforeTwoFree(): Promise<{ taken: Server; port: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const taken = await listening(0);
    const port = (taken.address() as { port: number }).port;
    if (port + 2 <= 65535 && (await portIsFree('127.0.0.1', port + 1)) && (await portIsFree('127.0.0.1', port + 2))) return { taken, port };
    await close(taken);
  }
  throw new Error('no listening port followed by two free ones');
}

test('the serial port picker skips ports something listens on and ports already assigned', async (t) => {
  const { taken, port } = await listeningBeforeTwoFree();
  try {
    t.false(await portIsFree('127.0.0.1', port));
    const range = { min: port, max: port + 2 };
    const free = [port + 1, port + 2];
    const picked = await pickSerialPort('127.0.0.1', new Set(), range);
    t.not(picked, port, 'the listening port is skipped');
    t.true(free.includes(picked));
    const next = await pickSerialPort('127.0.0.1', new Set([picked]), range);
    t.not(next, picked, 'an assigned port is skipped even though nothing listens on it');
    t.true(free.includes(next));
  } finally {
    await close(taken);
  }
});

test('an exhausted serial port range is a clear error', async (t) => {
  const taken = await listening(0);
  const port = (taken.address() as { port: number }).port;
  try {
    const error = await t.throwsAsync(pickSerialPort('127.0.0.1', new Set([port + 1]), { min: port, max: port + 1 }));
    t.regex(error.message, new RegExp(`no free serial console port in ${port}:${port + 1}`));
    await t.throwsAsync(pickSerialPort('127.0.0.1', new Set(), { min: 20, max: 10 }), { message: /not a range of TCP ports/ });
  } finally {
    await close(taken);
  }
});

test('a guest start that failed on a console port taken meanwhile is told from other failures, by QEMU’s own words', (t) => {
  // As QEMU 8 says them through libvirt, for a serial console (chardev), VNC and SPICE port already bound.
  const monitor = 'internal error: qemu unexpectedly closed the monitor: ';
  t.true(
    consolePortTaken(
      new Error(
        `${monitor}qemu-system-x86_64: -chardev socket,id=charserial0,host=127.0.0.1,port=10000,server=on,wait=off: Failed to find an available port: Address already in use`,
      ),
    ),
  );
  t.true(
    consolePortTaken(
      new Error(`${monitor}qemu-system-x86_64: -vnc 127.0.0.1:0,password=on: Failed to find an available port: Address already in use`),
    ),
  );
  t.true(
    consolePortTaken(
      new Error(
        `${monitor}qemu-system-x86_64: warning: Spice: ../server/reds.cpp:2585:reds_init_socket: binding socket to 127.0.0.1:5903 failed\nqemu-system-x86_64: failed to initialize spice server`,
      ),
    ),
  );
  t.false(consolePortTaken(new Error(`${monitor}qemu-system-x86_64: Could not open '/x/disk': No such file or directory`)));
  t.false(consolePortTaken(new Error('injected spawn failure (test-only fault)')));
});

test('VNC passwords are 8 random characters', (t) => {
  const passwords = new Set(Array.from({ length: 200 }, vncPassword));
  t.is(passwords.size, 200);
  for (const p of passwords) t.regex(p, /^[A-Za-z0-9]{8}$/);
});
