import { execFile } from 'node:child_process';

const MAX_OUTPUT = 16 * 1024 * 1024;

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`${command}: ${stderr.trim() || `exit ${String(exitCode)}`}`);
  }
}

/** Runs a command without a shell (arguments never reach one), feeding `input` on stdin; resolves with stdout. */
export function run(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: MAX_OUTPUT }, (error, stdout, stderr) => {
      if (error) reject(new CommandError(`${command} ${args.slice(0, 6).join(' ')}`, stderr, typeof error.code === 'number' ? error.code : null));
      else resolve(stdout);
    });
    // A command that reads no input may exit before it is written: its stdin then refuses the write.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** The same command run inside network namespace `ns`. */
export const runIn = (ns: string, command: string, args: readonly string[], input?: string) =>
  run('ip', ['netns', 'exec', ns, command, ...args], input);
