import type { Microversion } from '../microversion.js';
import { serviceIdAt, type ServiceRecord } from '../service-records.js';
import { isoMicros } from '../services.js';

/** A service as os-services shows it; `forced_down` from 2.11 (and always in a 2.53 update's answer). */
export const serviceView = (r: ServiceRecord, v: Microversion, forcedDown = v.atLeast('2.11')) => ({
  binary: r.binary,
  host: r.host,
  id: serviceIdAt(v, r),
  zone: r.zone,
  status: r.disabled ? 'disabled' : 'enabled',
  state: r.up ? 'up' : 'down',
  updated_at: isoMicros(r.updatedAt),
  disabled_reason: r.disabledReason,
  ...(forcedDown ? { forced_down: r.forcedDown } : {}),
});
