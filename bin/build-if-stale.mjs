// Compiles to dist/ when any source is newer than the last build, so `npm start` runs current JavaScript.
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');
const sources = [
  'cluster.config.ts',
  'actors',
  'supervisors',
  'http',
  'models',
  'runtime',
  'drivers',
  'bin',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];

// Newest mtime of a file, or of the TypeScript (and importable JSON) files under a folder; 0 when absent.
const newest = (path, inFolder = false) => {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (stat.isDirectory()) return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name), true)));
  return !inFolder || /\.(ts|mts|cts|json)$/.test(path) ? stat.mtimeMs : 0;
};

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (Math.max(...sources.map((s) => newest(join(root, s)))) > built) {
  console.error('building dist/ (sources changed)');
  const started = new Date(); // the stamp takes the start time, so edits made during the build trigger the next one
  const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  writeFileSync(stamp, started.toISOString() + '\n');
  utimesSync(stamp, started, started);
}
