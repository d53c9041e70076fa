import { EventEmitter } from 'node:events';
import type { ActorRef } from './ref.js';

export type ActivationStatus = 'loading' | 'ready' | 'restarting' | 'failed' | 'stale' | 'stopped';

export interface CrashInfo {
  readonly reason: string;
  readonly stack?: string;
  readonly at: number;
  readonly messageType?: string;
  readonly messageId?: string;
}

export interface RecentMessage {
  readonly type: string;
  readonly id: string | number;
  readonly outcome: 'ok' | 'rejected' | 'invalid' | 'crashed' | 'dead-letter' | 'refused' | 'duplicate' | 'deferred' | 'handed-over';
  readonly ms: number;
}

export interface ActivationInfo {
  readonly kind: string;
  readonly id: string;
  readonly node: string;
  readonly supervisor: string;
  readonly status: ActivationStatus;
  readonly epoch: number;
  readonly mailboxDepth: number;
  readonly handled: number;
  readonly restarts: number;
  readonly lastCrash?: CrashInfo;
  readonly recent: readonly RecentMessage[];
  readonly summary: Record<string, unknown>;
}

export type ChangeKind = 'activated' | 'passivated' | 'crashed' | 'restarted' | 'failed' | 'stopped';

export interface ChangeEvent {
  readonly event: ChangeKind;
  readonly ref: ActorRef;
  readonly node: string;
  readonly at: number;
  readonly reason?: string;
}

/** The stream of lifecycle changes an inspector subscribes to. */
export class ChangeStream extends EventEmitter<{ change: [ChangeEvent] }> {
  emitChange(event: ChangeEvent): void {
    if (this.listenerCount('change')) this.emit('change', event);
  }
}
