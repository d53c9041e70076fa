/** One compared figure per line: `<figure>: <value> <unit> | baseline <name>: <value> <unit> | ratio <r>`. */
export function report(figure: string, value: number, unit: string, baselineName: string, baseline: number, baselineUnit = unit): string {
  const line = `${figure}: ${fmt(value)} ${unit} | baseline ${baselineName}: ${fmt(baseline)} ${baselineUnit} | ratio ${fmt(value / baseline, 3)}`;
  console.log(line);
  return line;
}

export function note(text: string): void {
  console.log(`# ${text}`);
}

/**
 * `STRATUS_BENCH_SCALE` (default 1) scales the benchmarks' sizes, so a shared machine can prove a
 * group end to end with `STRATUS_BENCH_SCALE=0.05`; figures for the README come from scale 1.
 */
export const SCALE = (() => {
  const s = Number(process.env.STRATUS_BENCH_SCALE ?? 1);
  return Number.isFinite(s) && s > 0 ? s : 1;
})();

/** `n` scaled, at least `min`. */
export const scaled = (n: number, min = 1) => Math.max(min, Math.round(n * SCALE));

/** A count for a figure's label: `1,000`. */
export const count = (n: number) => n.toLocaleString('en');

const fmt = (n: number, digits?: number) => {
  if (!Number.isFinite(n)) return String(n);
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 1 ? 2 : 4);
  return n.toFixed(d);
};

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('benchmark condition not reached in time');
    await new Promise((r) => setImmediate(r));
  }
}
