import test from 'ava';
import { openDatabase, type Database } from '../models/database.js';
import type { InstanceCreation, InstanceRow } from '../models/index.js';
import { MarkerNotFound, readPage, type SortColumn } from '../http/compute/server-page.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

// The server list's SQL paging on the real database (SQLite or PostgreSQL): every page read by
// markers, and every page a filter in memory reads in batches, lands exactly where sorting all
// the rows in memory (MySQL's order: text case-insensitive, NULL first ascending) puts it.
let database: TestDatabase;
let db: Database;
const rows: Array<Record<string, unknown>> = [];
const COUNT = 450; // more than two of the in-memory filter's batches

test.before(async () => {
  database = await createTestDatabase('server-page');
  db = await openDatabase(database.url);
  const names = ['alpha', 'Alpha', 'beta', 'BETA-2', 'gamma', 'Delta', 'delta', 'zeta'];
  const base = Date.UTC(2026, 10, 25, 12);
  for (let n = 0; n < COUNT; n++) {
    rows.push({
      uuid: `00000000-0000-4000-8000-${String((n * 7919) % 1_000_003).padStart(12, '0')}`,
      project_id: 'p',
      user_id: 'u',
      display_name: names[n % names.length],
      display_description: null,
      hostname: `h${n}`,
      vm_state: 'active',
      task_state: null,
      power_state: n % 3,
      host: n % 5 === 0 ? null : `host-${n % 4}`,
      node: null,
      availability_zone: null,
      flavor_id: '1',
      flavor_name: 'm1.tiny',
      memory_mb: 512,
      vcpus: 1,
      root_gb: 1,
      ephemeral_gb: 0,
      image_ref: 'i',
      key_name: n % 3 === 0 ? null : `Key-${n % 7}`,
      locked: n % 2 === 0,
      locked_by: null,
      locked_reason: null,
      reservation_id: 'r',
      launch_index: 0,
      fault_code: null,
      fault_message: null,
      fault_details: null,
      // Many share a creation time: the uuid must break the ties.
      created_at: new Date(base + Math.floor(n / 4) * 1000),
      updated_at: new Date(base),
      deleted_at: null,
      launched_at: n % 6 === 0 ? null : new Date(base + (n % 11) * 1000),
      terminated_at: null,
    });
  }
  // The rows stay loosely typed for the in-memory sort, which reads columns by name.
  await db.models.Instance.bulkCreate(rows as InstanceCreation[]);
});
test.after.always(async () => {
  await db?.close();
  await database?.drop();
});

const text = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
const value = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'boolean' ? Number(v) : text(v));

/** All rows sorted in memory as MySQL orders them. */
function reference(sort: SortColumn[], keep: (r: Record<string, unknown>) => boolean = () => true): string[] {
  return rows
    .filter(keep)
    .sort((a, b) => {
      for (const { column, dir } of sort) {
        const x = value(a[column]) as string | number | null;
        const y = value(b[column]) as string | number | null;
        if (x === y) continue;
        const order = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
        return dir === 'asc' ? order : -order;
      }
      return 0;
    })
    .map((r) => r.uuid as string);
}

/** Every page from the start, each after the last one's last server. */
async function allPages(sort: SortColumn[], limit: number, keep?: (r: InstanceRow) => boolean): Promise<string[]> {
  const seen: string[] = [];
  for (let marker: string | undefined; ;) {
    const page = await readPage(db.models.Instance, { where: { deleted_at: null }, columns: ['uuid', 'display_name'], sort, limit, marker, keep });
    seen.push(...page.map((r) => r.uuid));
    if (page.length < limit) return seen;
    marker = page[page.length - 1].uuid;
  }
}

const sorts: Array<[string, SortColumn[]]> = [
  [
    'newest first',
    [
      { column: 'created_at', dir: 'desc' },
      { column: 'uuid', dir: 'desc' },
    ],
  ],
  [
    'name, case-insensitively',
    [
      { column: 'display_name', dir: 'asc' },
      { column: 'created_at', dir: 'desc' },
      { column: 'uuid', dir: 'desc' },
    ],
  ],
  [
    'name descending',
    [
      { column: 'display_name', dir: 'desc' },
      { column: 'created_at', dir: 'asc' },
      { column: 'uuid', dir: 'asc' },
    ],
  ],
  [
    'a column with NULLs, both ways',
    [
      { column: 'key_name', dir: 'asc' },
      { column: 'host', dir: 'desc' },
      { column: 'uuid', dir: 'asc' },
    ],
  ],
  [
    'times with NULLs, booleans and numbers',
    [
      { column: 'launched_at', dir: 'desc' },
      { column: 'locked', dir: 'asc' },
      { column: 'power_state', dir: 'desc' },
      { column: 'uuid', dir: 'desc' },
    ],
  ],
];

for (const [title, sort] of sorts) {
  test(`one page, and every page by marker, in the order of a full sort: ${title}`, async (t) => {
    const expected = reference(sort);
    const page = await readPage(db.models.Instance, { where: { deleted_at: null }, columns: ['uuid'], sort, limit: 1000 });
    t.deepEqual(
      page.map((r) => r.uuid),
      expected,
    );
    t.deepEqual(await allPages(sort, 37), expected);
    t.false('__sort0' in page[0], 'the sort keys are not handed on');
  });

  test(`a filter in memory reads batches in order until each page is full: ${title}`, async (t) => {
    const keep = (r: { display_name?: unknown }) => /^(alpha|delta)$/i.test(String(r.display_name));
    const expected = reference(sort, keep);
    t.true(expected.length > 200 && expected.length < COUNT);
    t.deepEqual(await allPages(sort, 50, keep), expected);
    t.deepEqual(
      (await readPage(db.models.Instance, { where: { deleted_at: null }, columns: ['uuid', 'display_name'], sort, limit: 1000, keep })).map(
        (r) => r.uuid,
      ),
      expected,
    );
  });
}

test('a marker that is no server is refused; a limit of 0 reads nothing', async (t) => {
  const sort: SortColumn[] = [{ column: 'uuid', dir: 'asc' }];
  await t.throwsAsync(readPage(db.models.Instance, { where: {}, columns: ['uuid'], sort, limit: 5, marker: 'nothing' }), {
    instanceOf: MarkerNotFound,
  });
  t.deepEqual(await readPage(db.models.Instance, { where: {}, columns: ['uuid'], sort, limit: 0 }), []);
});
