import type { QueryInterface } from 'sequelize';
import * as instance from '../instance.js';
import * as host from '../host.js';
import * as network from '../network.js';
import * as volume from '../volume.js';
import * as scheduler from '../scheduler.js';
import * as console from '../console.js';
import { createTables, dropTables, type TableSpec } from './create-table.js';

const specs: TableSpec[] = [instance, host, network, volume, scheduler, console];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
