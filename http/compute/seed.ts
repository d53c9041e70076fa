import type { Models } from '../../models/index.js';

// Nova's long-standing default flavors (as DevStack creates them), with their usual ids.
const DEFAULT_FLAVORS = [
  { id: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1 },
  { id: '2', name: 'm1.small', memory_mb: 2048, vcpus: 1, root_gb: 20 },
  { id: '3', name: 'm1.medium', memory_mb: 4096, vcpus: 2, root_gb: 40 },
  { id: '4', name: 'm1.large', memory_mb: 8192, vcpus: 4, root_gb: 80 },
  { id: '5', name: 'm1.xlarge', memory_mb: 16384, vcpus: 8, root_gb: 160 },
];

export const QUOTA_RESOURCES = ['instances', 'cores', 'ram'] as const;

/**
 * The first start's compute data: the default flavors, and unlimited quotas for the projects given
 * (the bootstrap admin project); every other project has the configured defaults, Nova's.
 */
export async function seedCompute(models: Models, now: Date, unlimitedProjects: string[]): Promise<void> {
  if ((await models.Flavor.count()) === 0) {
    await models.Flavor.bulkCreate(
      DEFAULT_FLAVORS.map((f) => ({
        ...f,
        ephemeral_gb: 0,
        swap: 0,
        rxtx_factor: 1,
        is_public: true,
        disabled: false,
        description: null,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      })),
    );
  }
  for (const project_id of unlimitedProjects) {
    if (await models.Quota.count({ where: { project_id } })) continue;
    await models.Quota.bulkCreate(QUOTA_RESOURCES.map((resource) => ({ project_id, resource, hard_limit: -1 })));
  }
}
