import { QueryTypes, type FindOptions, type Utils } from 'sequelize';
import type { InstanceRow, Models } from '../../models/index.js';

type Instances = Models['Instance'];

/** A column by name, or an SQL expression read under a name of its own. */
export type Attribute = string | [Utils.Literal, string];

/**
 * Reads instance rows for the list APIs. On SQLite the rows come back as one JSON document
 * built inside SQLite (json_group_array): node-sqlite3 spends about a microsecond per value
 * turning rows into objects, twice what JSON.parse of the same data costs. PostgreSQL's
 * driver is fast enough as it is.
 */
export async function readInstances(
  model: Instances,
  options: Omit<FindOptions, 'attributes'> & { attributes?: Attribute[] },
): Promise<InstanceRow[]> {
  const sequelize = model.sequelize!;
  // Raw rows, typed as instances by Sequelize; they also carry the aliased sort expressions, so not readRows.
  if (sequelize.getDialect() !== 'sqlite') return model.findAll({ ...options, raw: true }) as unknown as Promise<InstanceRow[]>;
  const attributes = options.attributes ?? Object.keys(model.getAttributes());
  const names = attributes.map((a) => (typeof a === 'string' ? a : a[1]));
  // Sequelize's typings do not expose the query generator, which writes the same SELECT as findAll.
  const generator = (sequelize.getQueryInterface() as unknown as { queryGenerator: { selectQuery(t: string, o: object, m: unknown): string } })
    .queryGenerator;
  const inner = generator.selectQuery(model.getTableName() as string, { ...options, attributes }, model).replace(/;\s*$/, '');
  const pairs = names.map((c) => `'${c}', ${sequelize.getQueryInterface().quoteIdentifier(c)}`).join(', ');
  const [row] = await sequelize.query<{ rows: string }>(`SELECT json_group_array(json_object(${pairs})) AS rows FROM (${inner})`, {
    type: QueryTypes.SELECT,
  });
  return JSON.parse(row.rows) as InstanceRow[];
}
