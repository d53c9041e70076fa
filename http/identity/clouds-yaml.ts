import { existsSync, readFileSync } from 'node:fs';
import { writeFileDurably } from '../../drivers/fs/durable-write.js';

export interface CloudEntry {
  name: string;
  username: string;
  password: string;
  project: string;
}

const entry = (authUrl: string, c: CloudEntry) => `  ${c.name}:
    auth:
      auth_url: ${authUrl}
      username: ${JSON.stringify(c.username)}
      password: ${JSON.stringify(c.password)}
      project_name: ${JSON.stringify(c.project)}
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
`;

/** Writes clouds.yaml for OpenStack clients, readable by its owner only; never over an existing file. */
export function writeCloudsYaml(path: string, authUrl: string, clouds: CloudEntry[]): boolean {
  if (existsSync(path)) return false;
  try {
    writeFileDurably(path, `clouds:\n${clouds.map((c) => entry(authUrl, c)).join('')}`, { mode: 0o600, exclusive: true });
  } catch (error) {
    // Another process wrote it between the check and the link: theirs stands.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  return true;
}

/** Puts a new password into one cloud of a clouds.yaml this module wrote, or writes the file afresh. */
export function replaceCloudPassword(path: string, authUrl: string, cloud: CloudEntry): void {
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  const start = lines.indexOf(`  ${cloud.name}:`);
  if (start < 0) {
    writeFileDurably(path, `clouds:\n${entry(authUrl, cloud)}`, { mode: 0o600 });
    return;
  }
  let end = lines.findIndex((l, i) => i > start && /^ {2}\S/.test(l));
  if (end < 0) end = lines.length;
  // Clients already reach the cloud at the URL the file gives: keep it.
  const kept = lines
    .slice(start, end)
    .map((l) => /^\s+auth_url: (\S+)$/.exec(l)?.[1])
    .find(Boolean);
  const block = entry(kept ?? authUrl, cloud)
    .trimEnd()
    .split('\n');
  lines.splice(start, end - start, ...block);
  writeFileDurably(path, lines.join('\n'), { mode: 0o600 });
}
