import { Type } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// The hypervisor's word on its guests: lifecycle events, the periodic sync, a lost daemon, console output.

const uuid = () => Chars(1, 36);
const empty = () => Type.Object({}, { additionalProperties: false });

export const syncMessages = {
  /** A lifecycle event of one of the host's domains (libvirt's event and detail), from the node's event connection. */
  domainEvent: {
    durable: false,
    // An event that finds the daemon gone marks the host down.
    writes: true,
    payload: Type.Object(
      { instance_uuid: uuid(), event: Type.Integer({ minimum: 0, maximum: 100 }), detail: Type.Integer({ minimum: 0, maximum: 100 }) },
      { additionalProperties: false },
    ),
  },
  /** A STOPPED event held back (a reboot inside the guest must not show SHUTOFF): the guest's state read then. */
  syncDomain: { durable: true, payload: Type.Object({ instance_uuid: uuid() }, { additionalProperties: false }) },
  /** Every guest's power state read from the hypervisor, for what events missed (Nova's _sync_power_states). */
  syncPower: { durable: false, writes: true, payload: empty() },
  /** The node's connection to the daemon closed under it (daemon gone, keepalive unanswered): the service is down. */
  hypervisorLost: { durable: false, writes: true, payload: Type.Object({ reason: Chars(1, 255) }, { additionalProperties: false }) },
  /** The tail of a guest's serial console log (Nova's get_console_output), `length` lines when given. */
  consoleOutput: {
    durable: false,
    payload: Type.Object({ instance_uuid: uuid(), length: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
  },
  /**
   * Where a running guest's console of one protocol listens on this host (VNC with its password): what a console
   * proxy connects to. Refused for a guest with no such console (a simulated host's) or none listening (not running).
   */
  consoleEndpoint: {
    durable: false,
    payload: Type.Object(
      { instance_uuid: uuid(), protocol: Type.Union([Type.Literal('vnc'), Type.Literal('spice'), Type.Literal('serial')]) },
      { additionalProperties: false },
    ),
  },
};
