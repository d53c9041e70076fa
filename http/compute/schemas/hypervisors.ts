import type { Microversion } from '../microversion.js';
import { singleParam, type Schema } from '../json-schema.js';
import * as t from '../parameter-types.js';

// Nova's query schemas for hypervisors (nova/api/openstack/compute/schemas/hypervisors.py at 26.0.0).

/** The list and detail query: paging from 2.33 (other parameters ignored), each at most once and nothing else from 2.53. */
export function hypervisorListQuery(v: Microversion): Schema | undefined {
  if (v.atLeast('2.53')) {
    return {
      type: 'object',
      properties: {
        limit: singleParam(t.nonNegativeInteger),
        marker: singleParam({ type: 'string' }),
        hypervisor_hostname_pattern: singleParam(t.fqdn),
        with_servers: singleParam(t.boolean),
      },
      additionalProperties: false,
    };
  }
  if (v.atLeast('2.33')) return { type: 'object', properties: t.paginationParameters, additionalProperties: true };
  return undefined;
}

/** The show query from 2.53. */
export function hypervisorShowQuery(v: Microversion): Schema | undefined {
  if (!v.atLeast('2.53')) return undefined;
  return { type: 'object', properties: { with_servers: singleParam(t.boolean) }, additionalProperties: false };
}
