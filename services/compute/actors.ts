import { hostProtocol } from '../../actors/host/protocol.js';
import { instanceProtocol } from '../../actors/instance/protocol.js';
import { schedulerProtocol } from '../../actors/scheduler/protocol.js';
import type { HostRow, InstanceRow } from '../../models/index.js';
import { clientOf, type ActorClient, type ActorGateway } from '../../runtime/client.js';

// The compute kinds as typed clients: payloads typed by each kind's protocol, replies by what its
// handlers answer. The API side reaches actors only through these.

/** What the instance actor answers: its row after the change, unless said otherwise. */
export interface InstanceReplies {
  create: InstanceRow;
  resetState: InstanceRow;
  changePassword: import('../../actors/instance/admin-behaviour.js').Refused;
  crashDump: InstanceRow;
  softDelete: InstanceRow;
  restore: InstanceRow;
  update: InstanceRow;
  delete: InstanceRow;
  get: InstanceRow;
  updateMetadata: InstanceRow;
  deleteMetadataItem: InstanceRow;
  setTags: InstanceRow;
  deleteTag: InstanceRow;
  deleteTags: InstanceRow;
  addTag: { added: boolean; tags: string[] };
  stop: InstanceRow;
  start: InstanceRow;
  reboot: InstanceRow;
  pause: InstanceRow;
  unpause: InstanceRow;
  suspend: InstanceRow;
  resume: InstanceRow;
  lock: InstanceRow;
  unlock: InstanceRow;
  // The image-based actions (services/compute/image-actions.ts).
  snapshot: InstanceRow;
  backup: InstanceRow;
  shelve: InstanceRow;
  shelveOffload: InstanceRow;
  unshelve: InstanceRow;
  rescue: InstanceRow;
  unrescue: InstanceRow;
  rebuild: InstanceRow;
  resize: InstanceRow;
  liveMigrate: InstanceRow;
  confirmResize: InstanceRow;
  revertResize: InstanceRow;
  evacuate: InstanceRow;
}

export interface HostReplies {
  disable: HostRow;
  diagnostics: import('../../actors/host/admin.js').GuestDiagnostics;
  enable: HostRow;
  forceDown: HostRow;
  get: HostRow;
  uptime: { uptime: string };
  consoleOutput: { output: string };
  consoleEndpoint: { host: string; port: number; password?: string };
  deregister: Record<string, never>;
}

export type InstanceClient = ActorClient<typeof instanceProtocol.spec, InstanceReplies>;
export type HostClient = ActorClient<typeof hostProtocol.spec, HostReplies>;
export type SchedulerClient = ActorClient<typeof schedulerProtocol.spec, Record<never, never>>;

export interface ComputeActors {
  readonly instance: (uuid: string) => InstanceClient;
  readonly host: (name: string) => HostClient;
  readonly scheduler: (name: string) => SchedulerClient;
}

const made = new WeakMap<ActorGateway, ComputeActors>();

/** The compute kinds' clients over a node (made once per gateway). */
export function computeActors(gateway: ActorGateway): ComputeActors {
  let actors = made.get(gateway);
  if (!actors) {
    actors = {
      instance: clientOf<typeof instanceProtocol.spec, InstanceReplies>(instanceProtocol, gateway),
      host: clientOf<typeof hostProtocol.spec, HostReplies>(hostProtocol, gateway),
      scheduler: clientOf(schedulerProtocol, gateway),
    };
    made.set(gateway, actors);
  }
  return actors;
}
