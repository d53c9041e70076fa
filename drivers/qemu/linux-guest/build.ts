import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpioNewc, type CpioEntry } from './cpio.js';
import { GUEST_MODULES, guestFiles } from './guest-init.js';

// stratus-linux, built on this machine from Debian packages only (platform notes §8): the versioned kernel package
// linux-image-cloud-amd64 depends on, busybox-static, dropbear-bin and its libraries, and the tools that make the
// disk (dosfstools, syslinux, mtools) run from their own extracted packages. Built once per set of inputs into a
// cache outside the clone, shared by every cloud on the machine.

/** Bumped when the way the image is made changes, so a new build is made. */
const RECIPE = 1;
const KERNEL_META = 'linux-image-cloud-amd64';
const PACKAGES = [
  'busybox-static',
  'dropbear-bin',
  'libtomcrypt1',
  'libgmp10',
  'libtommath1',
  'zlib1g',
  'libcrypt1',
  'libc6',
  'dosfstools',
  'syslinux',
  'syslinux-common',
  'mtools',
];
/** dropbear's libraries and its loader, as the initramfs holds them. */
const LIBRARIES = ['libtomcrypt.so.1', 'libgmp.so.10', 'libtommath.so.1', 'libz.so.1', 'libcrypt.so.1', 'libc.so.6'];
const DISK_KIB = 32 * 1024;

const SYSLINUX_CFG = `DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=tty0 console=ttyS0,115200 quiet
`;

export interface LinuxGuestImage {
  /** The qcow2 disk (compressed). */
  readonly path: string;
  /** A digest of everything it was made from: a different one is a different image. */
  readonly inputs: string;
  readonly kernelVersion: string;
}

export interface BuildOptions {
  /** Where builds are kept, one folder per digest of their inputs (e.g. /var/cache/stratus/linux). */
  readonly cacheDir: string;
  /** A tool that runs with limits (qemu-img under Nova's limits). */
  readonly convertToQcow2: (raw: string, qcow2: string) => Promise<void>;
}

/** The image for the packages Debian offers now: the cached build, or a new one. Throws when it cannot be had. */
export async function ensureLinuxGuest(o: BuildOptions): Promise<LinuxGuestImage> {
  const packages = await resolvePackages();
  const inputs = createHash('sha256')
    .update(JSON.stringify({ recipe: RECIPE, packages, files: guestFiles(), syslinux: SYSLINUX_CFG, disk: DISK_KIB }))
    .digest('hex')
    .slice(0, 24);
  const kernelVersion = packages[0][0].replace(/^linux-image-/, '');
  const folder = join(o.cacheDir, inputs);
  const image = { path: join(folder, 'stratus-linux.qcow2'), inputs, kernelVersion };
  if (existsSync(join(folder, 'inputs.json'))) return image;
  await mkdir(o.cacheDir, { recursive: true });
  const work = await mkdtemp(join(o.cacheDir, '.build-'));
  try {
    const out = join(work, 'out');
    await mkdir(out);
    await build(work, packages, kernelVersion, join(out, 'stratus-linux.qcow2'), o);
    await writeFile(join(out, 'inputs.json'), JSON.stringify({ recipe: RECIPE, packages }, null, 1));
    // Whole or not at all; another process that built the same inputs meanwhile wins, and its build is as good.
    await rename(out, folder).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(folder, 'inputs.json'))) throw error;
    });
    return image;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * [package, version] for the versioned kernel package and the rest, as apt's lists name them now: one `apt-cache show`
 * (each call costs about a second here), the kernel package and its version read from the metapackage's Depends.
 */
async function resolvePackages(): Promise<Array<[string, string]>> {
  const shown = await run('apt-cache', ['show', '--no-all-versions', KERNEL_META, ...PACKAGES]);
  const versions = new Map<string, string>();
  let kernel: [string, string] | undefined;
  for (const record of shown.split(/\n\n+/)) {
    const name = /^Package: (\S+)$/m.exec(record)?.[1];
    const version = /^Version: (\S+)$/m.exec(record)?.[1];
    if (!name || !version) continue;
    versions.set(name, version);
    if (name === KERNEL_META) {
      const depends = /^Depends: (linux-image-[0-9]\S*-cloud-amd64) \(= (\S+)\)/m.exec(record);
      if (depends) kernel = [depends[1], depends[2]];
    }
  }
  if (!kernel) throw new Error(`apt knows no kernel package for ${KERNEL_META}`);
  return [
    kernel,
    ...PACKAGES.map((name): [string, string] => {
      const version = versions.get(name);
      if (!version) throw new Error(`apt knows no version of ${name}`);
      return [name, version];
    }),
  ];
}

async function build(work: string, packages: Array<[string, string]>, kernelVersion: string, qcow2: string, o: BuildOptions): Promise<void> {
  const debs = join(work, 'debs');
  const root = join(work, 'root');
  await mkdir(debs);
  await mkdir(root);
  await run('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...packages.map(([n, v]) => `${n}=${v}`)], { cwd: debs });
  for (const deb of await readdir(debs)) if (deb.endsWith('.deb')) await run('dpkg-deb', ['-x', join(debs, deb), root]);

  const initrd = join(work, 'initrd.gz');
  await writeFile(initrd, gzipSync(cpioNewc(await initramfs(root, kernelVersion)), { level: 9 }));

  const disk = join(work, 'disk.img');
  const tools = {
    ...process.env,
    PATH: `${join(root, 'usr/bin')}:${join(root, 'sbin')}:${join(root, 'usr/sbin')}:${process.env.PATH ?? ''}`,
    MTOOLS_SKIP_CHECK: '1',
  };
  await run(tool(root, ['sbin/mkfs.fat', 'usr/sbin/mkfs.fat']), ['-C', '-n', 'STRATUS', disk, String(DISK_KIB)], { env: tools });
  await run(join(root, 'usr/bin/syslinux'), ['--install', disk], { env: tools });
  await writeFile(join(work, 'syslinux.cfg'), SYSLINUX_CFG);
  await run(join(root, 'usr/bin/mcopy'), ['-i', disk, join(root, `boot/vmlinuz-${kernelVersion}`), '::vmlinuz'], { env: tools });
  await run(join(root, 'usr/bin/mcopy'), ['-i', disk, initrd, '::initrd.gz'], { env: tools });
  await run(join(root, 'usr/bin/mcopy'), ['-i', disk, join(work, 'syslinux.cfg'), '::syslinux.cfg'], { env: tools });
  await o.convertToQcow2(disk, qcow2);
}

function tool(root: string, candidates: string[]): string {
  for (const c of candidates) if (existsSync(join(root, c))) return join(root, c);
  throw new Error(`none of ${candidates.join(', ')} in the extracted packages`);
}

/** The initramfs: busybox, the modules (flat, by name), dropbear with its libraries and loader, and the guest's files. */
async function initramfs(root: string, kernelVersion: string): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = [];
  for (const dir of [
    'bin',
    'dev',
    'etc',
    'etc/acpi',
    'etc/acpi/PWRF',
    'lib',
    'lib/modules',
    'lib/x86_64-linux-gnu',
    'lib64',
    'usr',
    'usr/bin',
    'usr/sbin',
  ])
    entries.push({ kind: 'dir', path: dir });
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1, mode: 0o600 });
  entries.push({ kind: 'file', path: 'bin/busybox', data: await readFile(join(root, 'bin/busybox')), mode: 0o755 });
  const modules = await findModules(join(root, 'lib/modules', kernelVersion));
  for (const name of GUEST_MODULES) {
    const file = modules.get(name);
    if (!file) throw new Error(`kernel ${kernelVersion} has no module ${name}`);
    entries.push({ kind: 'file', path: `lib/modules/${name}.ko`, data: await readFile(file), mode: 0o644 });
  }
  checkModuleOrder(new Map(await Promise.all(GUEST_MODULES.map(async (m) => [m, dependsOf(await readFile(modules.get(m)!))] as const))));
  for (const [from, to] of [
    ['usr/sbin/dropbear', 'usr/sbin/dropbear'],
    ['usr/bin/dropbearkey', 'usr/bin/dropbearkey'],
    ['usr/bin/dbclient', 'usr/bin/dbclient'],
  ])
    entries.push({ kind: 'file', path: to, data: await readFile(await resolveIn(root, from)), mode: 0o755 });
  for (const lib of LIBRARIES) {
    const found = await firstOf(root, [`lib/x86_64-linux-gnu/${lib}`, `usr/lib/x86_64-linux-gnu/${lib}`]);
    entries.push({ kind: 'file', path: `lib/x86_64-linux-gnu/${lib}`, data: await readFile(found), mode: 0o755 });
  }
  const loader = await firstOf(root, ['lib64/ld-linux-x86-64.so.2', 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2']);
  entries.push({ kind: 'file', path: 'lib64/ld-linux-x86-64.so.2', data: await readFile(loader), mode: 0o755 });
  for (const f of guestFiles()) entries.push({ kind: 'file', path: f.path, data: Buffer.from(f.contents), mode: f.mode });
  return entries;
}

async function findModules(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name.endsWith('.ko')) found.set(e.name.slice(0, -3).replace(/-/g, '_'), join(d, e.name));
    }
  };
  await walk(dir);
  return found;
}

/** A module's `depends=` from its .modinfo strings. */
export function dependsOf(ko: Buffer): string[] {
  const at = ko.indexOf('\0depends=');
  if (at < 0) return [];
  const end = ko.indexOf(0, at + 1);
  const value = ko.subarray(at + 9, end).toString('latin1');
  return value ? value.split(',').map((d) => d.replace(/-/g, '_')) : [];
}

/** insmod has no resolver: every module's dependencies must be loaded before it. */
function checkModuleOrder(depends: Map<string, string[]>): void {
  const loaded = new Set<string>();
  for (const name of GUEST_MODULES) {
    for (const d of depends.get(name) ?? []) if (!loaded.has(d)) throw new Error(`module ${name} needs ${d} loaded before it`);
    loaded.add(name);
  }
}

/** A path inside the extracted packages, symbolic links followed within them (an absolute target is under root). */
async function resolveIn(root: string, path: string, hops = 0): Promise<string> {
  const full = join(root, path);
  const stat = await lstat(full);
  if (!stat.isSymbolicLink()) return full;
  if (hops > 8) throw new Error(`too many links at ${path}`);
  const target = await readlink(full);
  return resolveIn(root, isAbsolute(target) ? target.slice(1) : join(dirname(path), target), hops + 1);
}

async function firstOf(root: string, paths: string[]): Promise<string> {
  for (const p of paths) if (existsSync(join(root, p))) return resolveIn(root, p);
  throw new Error(`none of ${paths.join(', ')} in the extracted packages`);
}

function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...(options.env ?? process.env), LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.slice(0, 2).join(' ')} failed: ${(stderr || error.message).trim().slice(0, 500)}`));
        else resolve(stdout);
      },
    );
  });
}
