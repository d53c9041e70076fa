import test from 'ava';
import { openDatabase } from '../models/database.js';
import * as m0005 from '../models/migrations/0005-boot-path.js';
import * as m0007 from '../models/migrations/0007-server-fields.js';
import * as m0008 from '../models/migrations/0008-instance-actions.js';
import { createTestDatabase } from './helpers/database.js';

// A new database gets every column from 0002 (it builds its tables from the live models); these
// migrations add theirs only to a database an older release made, which going down stands in for.
test('the column-adding migrations go down and up again to the same columns, and add none that exist', async (t) => {
  const database = await createTestDatabase('migrations');
  const db = await openDatabase(database.url);
  const qi = db.sequelize.getQueryInterface();
  const columns = async (table: string) => Object.keys(await qi.describeTable(table)).sort();
  try {
    const instances = await columns('instances');
    const hosts = await columns('hosts');
    await m0007.up(qi);
    t.deepEqual(await columns('instances'), instances, 'nothing added where the columns exist');

    for (const m of [m0008, m0007, m0005]) await m.down(qi);
    const older = await columns('instances');
    for (const gone of ['flavor_name', 'locked_by', 'metadata', 'tags']) t.false(older.includes(gone), gone);
    t.false((await columns('hosts')).includes('boot_id'));

    for (const m of [m0005, m0007, m0008]) await m.up(qi);
    t.deepEqual(await columns('instances'), instances);
    t.deepEqual(await columns('hosts'), hosts);
  } finally {
    await db.close();
    await database.drop();
  }
});
