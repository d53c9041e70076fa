import type { ActorNode } from '../runtime/node.js';
import type { HostDeps } from '../actors/host/index.js';
import type { SchedulerDeps } from '../actors/scheduler/index.js';
import type { InstanceTimeouts } from '../actors/instance/index.js';
import type { NetworkDeps } from '../actors/network/index.js';
import type { RouterDeps } from '../actors/router/index.js';
import type { SupervisionSettings } from './policy.js';
import { superviseHost } from './host.js';
import { superviseInstance } from './instance.js';
import { superviseNetworks } from './network.js';
import { superviseScheduler } from './scheduler.js';
import { superviseConsole } from './console.js';
import type { ConsoleDeps } from '../actors/console/index.js';

export interface RootSupervisorSettings {
  readonly supervision: SupervisionSettings;
  readonly passivation: { readonly instanceMs: number };
}

/** What the host and scheduler actors are given to reach their hypervisors and the tables. */
export interface ActorDeps {
  readonly host: HostDeps;
  readonly scheduler: SchedulerDeps;
  readonly instance?: InstanceTimeouts;
  /** The network and router actors' writes; without them those kinds are not registered (a node of the compute kinds alone). */
  readonly network?: { readonly network: NetworkDeps; readonly router: RouterDeps };
  /** The node's console session registry, as console actors reach it (a node without proxies has none open). */
  readonly console?: ConsoleDeps;
}

/**
 * Puts every working actor kind under its supervisor; call before `node.start()`. The volume kind (`actors/`) is
 * planned: no API reaches it yet, so it is not registered.
 */
export function superviseAll(node: ActorNode, { supervision, passivation }: RootSupervisorSettings, deps: ActorDeps): void {
  superviseInstance(node, { supervision, passivateAfterMs: passivation.instanceMs }, deps.instance);
  // Hosts and schedulers never passivate: they are few and busy.
  superviseHost(node, { supervision, passivateAfterMs: 0 }, deps.host);
  superviseScheduler(node, { supervision, passivateAfterMs: 0 }, deps.scheduler);
  if (deps.console) superviseConsole(node, { supervision, passivateAfterMs: passivation.instanceMs }, deps.console);
  if (deps.network) superviseNetworks(node, { supervision, passivateAfterMs: passivation.instanceMs }, deps.network);
}
