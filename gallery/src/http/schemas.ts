import { ID_PATTERN } from '@stop-motion/protocol';

/**
 * Route schemas (JSON Schema, checked by Fastify's own Ajv; the gallery has no type provider,
 * so each route names its generic types beside the schema). Routes take them with
 * `attachValidation`, so a bad id or query gets the same page or JSON error it always had.
 */
const idProperty = { type: 'string', pattern: ID_PATTERN.source } as const;

export const idParams = { type: 'object', properties: { id: idProperty }, required: ['id'] } as const;
export type IdParams = { id: string };

export const actionParams = {
  type: 'object',
  properties: { id: idProperty, action: { type: 'string', enum: ['hide', 'unhide'] } },
  required: ['id', 'action'],
} as const;
export type ActionParams = { id: string; action: 'hide' | 'unhide' };

const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;

export const codeQuery = { type: 'object', properties: { c: { type: 'string' }, lang: text(16) } } as const;
export type CodeQuery = { c?: string };

export const wallQuery = { type: 'object', properties: { tiles: text(8), lang: text(16) } } as const;
export type WallQuery = { tiles?: string };

export const assetQuery = { type: 'object', properties: { v: text(64) } } as const;
export type AssetQuery = { v?: string };

export const adminQuery = { type: 'object', properties: { msg: text(32), id: text(64), lang: text(16) } } as const;
export type AdminQuery = { msg?: string; id?: string };
