/** Booleans as the databases hand them back: `true`, or `1` from SQLite. */
export const dbBool = (v: unknown): boolean => v === true || v === 1 || v === '1';
