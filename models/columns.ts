import { DataTypes } from 'sequelize';

/** When an entity was made and last changed, as Nova's tables record it. */
export const timestamps = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

/** Entities the API still lists after deletion (`deleted`, `changes-since`) are deleted softly. */
export const softDelete = {
  deleted_at: { type: DataTypes.DATE, allowNull: true },
};
