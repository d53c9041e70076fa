import { createHash } from 'node:crypto';

// Hosts and services are keyed by name; Nova's API gives them integer ids (and UUIDs from 2.53).
// Both are derived from the name, so every node and every restart answers the same ones.
const digest = (text: string) => createHash('sha256').update(text).digest('hex');

export const intId = (text: string) => parseInt(digest(text).slice(0, 7), 16);

export const uuidOf = (text: string) => {
  const h = digest(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** The id a version shows: the integer before 2.53, the UUID from then on. */
export const idAt = (atLeast253: boolean, text: string) => (atLeast253 ? uuidOf(text) : intId(text));
