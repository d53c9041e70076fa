import { fn, col } from 'sequelize';
import type { QuotaRow } from '../../models/index.js';
import { NovaFault } from './errors.js';
import type { ComputeServices } from './services.js';

// Nova's defaults for the limits that have no configuration key here (nova.conf [quota]).
const DEFAULT_METADATA_ITEMS = 128;
const DEFAULT_INJECTED_FILES = 5;
const DEFAULT_INJECTED_FILE_CONTENT_BYTES = 10240;
const DEFAULT_INJECTED_FILE_PATH_BYTES = 255;

/** A project's limits: its own quota rows over the configured defaults (-1 is unlimited). */
export async function quotasOf(s: ComputeServices, project: string) {
  const own = new Map(((await s.models.Quota.findAll({ where: { project_id: project }, raw: true })) as unknown as QuotaRow[]).map((q) => [q.resource, q.hard_limit]));
  return {
    instances: own.get('instances') ?? s.quotas.instances, cores: own.get('cores') ?? s.quotas.cores, ram: own.get('ram') ?? s.quotas.ramMb,
    key_pairs: own.get('key_pairs') ?? s.quotas.keyPairs,
  };
}

/** What a project's servers hold: every server not deleted counts, whatever its state, as Nova counts. */
export async function instanceUsage(s: ComputeServices, project: string) {
  const [row] = await s.models.Instance.findAll({
    where: { project_id: project, deleted_at: null },
    attributes: [[fn('COUNT', col('uuid')), 'instances'], [fn('SUM', col('vcpus')), 'cores'], [fn('SUM', col('memory_mb')), 'ram']],
    raw: true,
  }) as unknown as Array<{ instances: number | string; cores: number | string | null; ram: number | string | null }>;
  return { instances: Number(row?.instances ?? 0), cores: Number(row?.cores ?? 0), ram: Number(row?.ram ?? 0) };
}

async function limitOf(s: ComputeServices, project: string, resource: string, fallback: number): Promise<number> {
  const row = await s.models.Quota.findOne({ where: { project_id: project, resource }, raw: true }) as QuotaRow | null;
  return row?.hard_limit ?? fallback;
}

/** The most metadata items a server of the project may carry (Nova's metadata_items quota; -1 is unlimited). */
export const metadataLimit = (s: ComputeServices, project: string) => limitOf(s, project, 'metadata_items', DEFAULT_METADATA_ITEMS);

/** Nova's _check_metadata_properties_quota: a 403 over the limit. */
export function checkMetadataCount(items: Record<string, string>, limit: number): void {
  if (limit >= 0 && Object.keys(items).length > limit) throw new NovaFault(403, `Maximum number of metadata items exceeds ${limit}`);
}

/** Nova's _check_injected_file_quota for personality files: the count, then the longest path, then the longest content. */
export async function checkPersonality(s: ComputeServices, project: string, files: ReadonlyArray<{ path?: string; contents?: string }>): Promise<void> {
  if (!files.length) return;
  const count = await limitOf(s, project, 'injected_files', DEFAULT_INJECTED_FILES);
  if (count >= 0 && files.length > count) throw new NovaFault(403, 'Personality file limit exceeded');
  const paths = await limitOf(s, project, 'injected_file_path_bytes', DEFAULT_INJECTED_FILE_PATH_BYTES);
  if (paths >= 0 && Math.max(...files.map((f) => (f.path ?? '').length)) > paths) throw new NovaFault(403, `Personality file path exceeds maximum ${paths}`);
  const contents = await limitOf(s, project, 'injected_file_content_bytes', DEFAULT_INJECTED_FILE_CONTENT_BYTES);
  if (contents >= 0 && Math.max(...files.map((f) => (f.contents ?? '').length)) > contents) {
    throw new NovaFault(403, `Personality file content exceeds maximum ${contents}`);
  }
}

/**
 * How many of `min..max` servers of this flavor the project's quotas allow, as Nova's
 * check_num_instances_quota: as many as fit up to max, or its 403 when fewer than min fit.
 */
export async function instancesAllowed(s: ComputeServices, project: string, flavor: { vcpus: number; memory_mb: number }, min: number, max: number,
  quotas: ReturnType<typeof quotasOf> = quotasOf(s, project)): Promise<number> {
  const quota = await quotas;
  // Unlimited everywhere (the bootstrap projects): nothing to count.
  if (quota.instances < 0 && quota.cores < 0 && quota.ram < 0) return max;
  const used = await instanceUsage(s, project);
  const limits = { instances: quota.instances, cores: quota.cores, ram: quota.ram };
  const per = { instances: 1, cores: flavor.vcpus, ram: flavor.memory_mb };
  const resources = ['instances', 'cores', 'ram'] as const;
  const overs = resources.filter((r) => limits[r] >= 0 && used[r] + per[r] * max > limits[r]);
  if (!overs.length) return max;
  // Headroom in servers of this flavor, each limited resource counted.
  const allowed = Math.min(...resources.filter((r) => limits[r] >= 0 && per[r] > 0).map((r) => Math.floor((limits[r] - used[r]) / per[r])));
  if (allowed >= min && allowed <= max) return allowed;
  const requested = { instances: min === max ? String(min) : `${min}-${max}`, cores: String(per.cores * max), ram: String(per.ram * max) };
  const list = (f: (r: typeof resources[number]) => string) => overs.map(f).join(', ');
  throw new NovaFault(403, `Quota exceeded for ${list((r) => r)}: Requested ${list((r) => requested[r])}, but already used ${list((r) => String(used[r]))} of ${list((r) => String(limits[r]))} ${list((r) => r)}`);
}
