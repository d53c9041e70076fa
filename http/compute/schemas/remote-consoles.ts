import type { Schema } from '../json-schema.js';

// Nova's request schemas for consoles (schemas/remote_consoles.py): the legacy actions (below 2.6) and
// POST /servers/{id}/remote-consoles (2.6; 2.8 adds mks/webmks).

const legacy = (action: string, types: string[]): Schema => ({
  type: 'object',
  properties: {
    [action]: {
      type: 'object',
      properties: { type: { type: 'string', enum: types } },
      required: ['type'],
      additionalProperties: false,
    },
  },
  required: [action],
  additionalProperties: false,
});

export const LEGACY_ACTIONS: Readonly<Record<string, { protocol: 'vnc' | 'spice' | 'serial'; schema: Schema }>> = {
  'os-getVNCConsole': { protocol: 'vnc', schema: legacy('os-getVNCConsole', ['novnc', 'xvpvnc']) },
  'os-getSPICEConsole': { protocol: 'spice', schema: legacy('os-getSPICEConsole', ['spice-html5']) },
  'os-getSerialConsole': { protocol: 'serial', schema: legacy('os-getSerialConsole', ['serial']) },
};

const create = (protocols: string[], types: string[]): Schema => ({
  type: 'object',
  properties: {
    remote_console: {
      type: 'object',
      properties: { protocol: { type: 'string', enum: protocols }, type: { type: 'string', enum: types } },
      required: ['protocol', 'type'],
      additionalProperties: false,
    },
  },
  required: ['remote_console'],
  additionalProperties: false,
});

export const createV26 = create(['vnc', 'spice', 'serial'], ['novnc', 'xvpvnc', 'spice-html5', 'serial']);
export const createV28 = create(['vnc', 'spice', 'serial', 'mks'], ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'webmks']);
