import type { Middleware } from 'koa';
import { NovaFault } from './errors.js';

/** A compute API microversion, comparable as one number (2.37 → 2037). */
export class Microversion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}
  get value(): number {
    return this.major * 1000 + this.minor;
  }
  toString(): string {
    return `${this.major}.${this.minor}`;
  }
  /** True at `version` and above, e.g. `v.atLeast('2.37')`. */
  atLeast(version: string): boolean {
    return this.value >= valueOf(version);
  }
}

export const MIN_VERSION = '2.1';
// What Nova 26 (Zed) advertises; every version in between is accepted.
export const MAX_VERSION = '2.93';

function parse(text: string): Microversion | undefined {
  const match = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(text);
  return match ? new Microversion(Number(match[1]), Number(match[2])) : undefined;
}

// Views ask about the same few versions for every row: their values are computed once.
const values = new Map<string, number>();
function valueOf(version: string): number {
  let value = values.get(version);
  if (value === undefined) values.set(version, (value = parse(version)!.value));
  return value;
}

const MIN = parse(MIN_VERSION)!;
const MAX = parse(MAX_VERSION)!;

/** The version asked for, from `OpenStack-API-Version: compute X.Y` or the legacy Nova header. */
function requested(header: string, legacy: string): string | undefined {
  for (const part of header.split(',')) {
    const [service, version] = part.trim().split(/\s+/);
    if (service?.toLowerCase() === 'compute' && version) return version;
  }
  return legacy.trim() || undefined;
}

export interface VersionState {
  version: Microversion;
}

/** Negotiates the microversion (default 2.1, `latest` the maximum) and echoes it as Nova does. */
export const microversion: Middleware<VersionState> = async (ctx, next) => {
  const asked = requested(ctx.get('openstack-api-version'), ctx.get('x-openstack-nova-api-version'));
  const version = asked === undefined ? MIN : asked.toLowerCase() === 'latest' ? MAX : parse(asked);
  const echo = (v: Microversion) => {
    ctx.set('OpenStack-API-Version', `compute ${v.toString()}`);
    ctx.set('X-OpenStack-Nova-API-Version', String(v));
    ctx.set('Vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
  };
  if (!version) throw new NovaFault(400, `API Version String ${asked} is of invalid format. Must be of format MajorNum.MinorNum.`);
  if (version.value < MIN.value || version.value > MAX.value) {
    echo(MIN);
    throw new NovaFault(406, `Version ${version.toString()} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`);
  }
  ctx.state.version = version;
  echo(version);
  await next();
};
