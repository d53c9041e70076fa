import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

export const dataPlaneProtocol = defineProtocol('dataplane', {
  /**
   * Compares the tables' plan with the one last applied and applies it when it changed, or always with `force`
   * (at start, and every repair interval: something outside may have removed a device). Transient: the next
   * nudge or tick does the same, so nothing is lost when one is.
   */
  reconcile: { durable: false, writes: true, payload: Type.Object({ force: Type.Boolean() }, { additionalProperties: false }) },
  get: { durable: false, payload: Type.Object({}, { additionalProperties: false }) },
});
