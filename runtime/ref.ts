// Actors are addressed by (kind, id), never by a process-local object, so a reference
// stays valid across passivation, restarts and (later) nodes.
export interface ActorRef {
  readonly kind: string;
  readonly id: string;
}

export const ref = (kind: string, id: string): ActorRef => ({ kind, id });

export const refKey = (r: ActorRef): string => `${r.kind}/${r.id}`;
