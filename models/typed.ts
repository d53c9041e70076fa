import type { FindOptions, Model, ModelAttributes, ModelOptions, ModelStatic, Sequelize } from 'sequelize';

/** A model that knows its table's columns: `Row` as read, `Creation` as a create must supply it. */
export type RowModel<Row extends object, Creation extends object = Row> = ModelStatic<Model<Row, Creation>>;

/**
 * `sequelize.define` with the row type attached, so where, order, create and update check column names and values.
 * The attributes stay untyped: migrations share them, and Sequelize only reads them.
 */
export const defineRow = <Row extends object, Creation extends object = Row>(
  sequelize: Sequelize,
  name: string,
  attributes: ModelAttributes,
  options: ModelOptions,
): RowModel<Row, Creation> => sequelize.define<Model<Row, Creation>, Row>(name, attributes as ModelAttributes<Model<Row, Creation>, Row>, options);

// NoInfer: the row type comes from the model alone, never from a loosely typed `where`.
type Read<Row extends object> = NoInfer<Omit<FindOptions<Row>, 'raw'>>;
type Picked<Row extends object, K extends keyof Row> = Read<Row> & { attributes: K[] };

// Sequelize 6 types a `raw: true` read as model instances, yet it yields plain rows: these reads own that one cast.

/** The plain rows a find matches (`raw: true`); with `attributes`, only those columns. */
export function readRows<Row extends object, C extends object, K extends keyof Row>(
  model: RowModel<Row, C>,
  options: Picked<Row, K>,
): Promise<Array<Pick<Row, K>>>;
export function readRows<Row extends object, C extends object>(model: RowModel<Row, C>, options?: Read<Row>): Promise<Row[]>;
export function readRows<Row extends object, C extends object>(model: RowModel<Row, C>, options: Read<Row> = {}): Promise<Row[]> {
  return model.findAll({ ...options, raw: true }) as unknown as Promise<Row[]>;
}

/** The first plain row a find matches, or null. */
export function readRow<Row extends object, C extends object, K extends keyof Row>(
  model: RowModel<Row, C>,
  options: Picked<Row, K>,
): Promise<Pick<Row, K> | null>;
export function readRow<Row extends object, C extends object>(model: RowModel<Row, C>, options?: Read<Row>): Promise<Row | null>;
export function readRow<Row extends object, C extends object>(model: RowModel<Row, C>, options: Read<Row> = {}): Promise<Row | null> {
  return model.findOne({ ...options, raw: true }) as unknown as Promise<Row | null>;
}

/** The plain row with this primary key, or null. */
export const readByPk = <Row extends object, C extends object>(
  model: RowModel<Row, C>,
  key: string | number,
  options: Omit<Read<Row>, 'where'> = {},
): Promise<Row | null> => model.findByPk(key, { ...options, raw: true }) as unknown as Promise<Row | null>;
