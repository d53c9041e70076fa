// Compiles to dist/ when any source is newer than the last build, so `npm start` runs current JavaScript.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const stamp = join(root, 'dist', '.build-stamp');
const sources = ['cluster.config.ts', 'actors', 'supervisors', 'http', 'models', 'runtime', 'bin', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

const newest = (path) => {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
};

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (Math.max(...sources.map((s) => newest(join(root, s)))) > built) {
  console.error('building dist/ (sources changed)');
  const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  writeFileSync(stamp, new Date().toISOString());
}
