// Preloaded (node --import) into the cloud a benchmark starts, never into the product: keeps the
// text of the SELECT statements the cloud runs between two signals, so a list benchmark can run
// exactly the SQL the API ran. The first SIGUSR2 starts keeping them and writes `[]` to
// $STRATUS_BENCH_SQL_LOG; the next writes what was kept (JSON) there and stops.
import { renameSync, writeFileSync } from 'node:fs';
import sequelize from 'sequelize';

const file = process.env.STRATUS_BENCH_SQL_LOG;
if (file) {
  let kept;
  const query = sequelize.Sequelize.prototype.query;
  sequelize.Sequelize.prototype.query = function (sql, options) {
    const text = typeof sql === 'string' ? sql : sql?.query;
    if (kept && typeof text === 'string' && /^\s*SELECT\b/i.test(text) && kept.length < 1_000) kept.push(text);
    return query.call(this, sql, options);
  };
  process.on('SIGUSR2', () => {
    writeFileSync(`${file}.tmp`, JSON.stringify(kept ?? []));
    renameSync(`${file}.tmp`, file);
    kept = kept ? undefined : [];
  });
}
