/** Neutron's timestamps: seconds, in UTC, with a Z. */
export const neutronTime = (d: Date | string) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What every resource carries from its standard attributes and its project. */
export const standard = (row: { project_id: string; description: string; revision_number: number; created_at: Date; updated_at: Date }) => ({
  tenant_id: row.project_id,
  project_id: row.project_id,
  description: row.description,
  tags: [] as string[],
  created_at: neutronTime(row.created_at),
  updated_at: neutronTime(row.updated_at),
  revision_number: Number(row.revision_number),
});
