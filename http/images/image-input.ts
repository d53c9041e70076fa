import { charLength } from '../../runtime/chars.js';
import { GlanceError } from './errors.js';
import { CORE, READ_ONLY, formats, type FullImage } from './views.js';

const VISIBILITIES = ['public', 'private', 'shared', 'community'];
const bad = (message: string) => new GlanceError(400, message);

/**
 * Applies one property as a create body or a JSON patch gives it, checking it as Glance's
 * image schema does. `undefined` removes a custom property.
 */
export function applyProperty(image: FullImage, name: string, value: unknown, isAdmin: boolean): void {
  if (READ_ONLY.has(name)) throw new GlanceError(403, `Attribute '${name}' is read-only.`);
  // Glance keeps the os_glance_ namespace for its own bookkeeping (the import's lock and stores).
  if (name.startsWith('os_glance')) throw new GlanceError(403, `Attribute '${name}' is reserved.`);
  const { row } = image;
  switch (name) {
    case 'name':
      if (value !== null && (typeof value !== 'string' || charLength(value) > 255))
        throw bad(`Invalid value for 'name': ${JSON.stringify(value)} is not a string of at most 255 characters`);
      row.name = value;
      return;
    case 'visibility':
      if (!VISIBILITIES.includes(value as string))
        throw bad(`Invalid value for 'visibility': ${JSON.stringify(value)} is not one of ${VISIBILITIES.join(', ')}`);
      if (value === 'public' && !isAdmin) throw new GlanceError(403, 'Only an administrator may publicize an image.');
      row.visibility = value as string;
      return;
    case 'protected':
    case 'os_hidden':
      if (typeof value !== 'boolean') throw bad(`Invalid value for '${name}': ${JSON.stringify(value)} is not a boolean`);
      row[name] = value;
      return;
    case 'disk_format':
    case 'container_format': {
      const allowed = name === 'disk_format' ? formats.disk : formats.container;
      if (value !== null && !allowed.includes(value as string))
        throw bad(`Invalid value for '${name}': ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
      if (row.status !== 'queued' && row[name] !== value) throw new GlanceError(403, `Attribute ${name} can be only replaced for a queued image.`);
      row[name] = value as string | null;
      return;
    }
    case 'min_disk':
    case 'min_ram':
      // The column is a 32-bit integer (as Glance's): a larger value is the client's error, not the database's.
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 2_147_483_647) {
        throw bad(`Invalid value for '${name}': ${JSON.stringify(value)} is not a non-negative integer of at most 2147483647`);
      }
      row[name] = value as number;
      return;
    case 'tags':
      if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || charLength(t) > 255))
        throw bad("Invalid value for 'tags': expected a list of strings");
      image.tags = [...new Set(value as string[])];
      return;
    default:
      if (CORE.has(name)) throw bad(`Invalid property '${name}'`);
      if (value === undefined) {
        delete image.properties[name];
        return;
      }
      if (typeof value !== 'string' || charLength(name) > 255) throw bad(`Invalid value for '${name}': additional properties must be strings`);
      image.properties[name] = value;
  }
}
