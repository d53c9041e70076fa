import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

/** A router; its gateway and interfaces are ports whose device_id is the router's id. */
export interface NeutronRouterRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: boolean;
  status: string;
  gateway_network_id: string | null;
  gateway_port_id: string | null;
  enable_snat: boolean;
  revision_number: number;
  created_at: Date;
  updated_at: Date;
}

/** A floating IP: an address held by a port on an external network, maybe mapped to a port's fixed address. */
export interface NeutronFloatingIpRow {
  id: string;
  project_id: string;
  floating_network_id: string;
  floating_ip_address: string;
  floating_port_id: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
  description: string;
  revision_number: number;
  created_at: Date;
  updated_at: Date;
}

const str = (length: number, allowNull = false) => ({ type: DataTypes.STRING(length), allowNull });

export const routerAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: str(255),
  name: str(255),
  description: str(255),
  admin_state_up: { type: DataTypes.BOOLEAN, allowNull: false },
  status: str(16),
  gateway_network_id: str(36, true),
  gateway_port_id: str(36, true),
  enable_snat: { type: DataTypes.BOOLEAN, allowNull: false },
  revision_number: { type: DataTypes.INTEGER, allowNull: false },
  ...timestamps,
};

export const floatingIpAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: str(255),
  floating_network_id: str(36),
  floating_ip_address: str(64),
  floating_port_id: str(36),
  port_id: str(36, true),
  fixed_ip_address: str(64, true),
  router_id: str(36, true),
  status: str(16),
  description: str(255),
  revision_number: { type: DataTypes.INTEGER, allowNull: false },
  ...timestamps,
};

/** A project's auto-allocated topology: the network (and router) `auto-allocated-topology` made for it, once. */
export interface NeutronAutoAllocatedTopologyRow {
  project_id: string;
  network_id: string;
  router_id: string | null;
  created_at: Date;
}

export const define = (sequelize: Sequelize) => ({
  NeutronRouter: defineRow<NeutronRouterRow>(sequelize, 'NeutronRouter', routerAttributes, {
    tableName: 'neutron_routers',
    timestamps: false,
    indexes: [{ fields: ['project_id'] }],
  }),
  NeutronFloatingIp: defineRow<NeutronFloatingIpRow>(sequelize, 'NeutronFloatingIp', floatingIpAttributes, {
    tableName: 'neutron_floating_ips',
    timestamps: false,
    indexes: [{ fields: ['project_id'] }, { fields: ['port_id'] }, { fields: ['floating_network_id'] }],
  }),
  NeutronAutoAllocatedTopology: defineRow<NeutronAutoAllocatedTopologyRow>(
    sequelize,
    'NeutronAutoAllocatedTopology',
    {
      project_id: { type: DataTypes.STRING(255), primaryKey: true },
      network_id: str(36),
      router_id: str(36, true),
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'neutron_auto_allocated_topologies', timestamps: false, indexes: [{ fields: ['network_id'] }] },
  ),
});
