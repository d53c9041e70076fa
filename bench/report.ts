/** One compared figure per line: `<figure>: <value> <unit> | baseline <name>: <value> <unit> | ratio <r>`. */
export function report(figure: string, value: number, unit: string, baselineName: string, baseline: number, baselineUnit = unit): string {
  const line = `${figure}: ${fmt(value)} ${unit} | baseline ${baselineName}: ${fmt(baseline)} ${baselineUnit} | ratio ${fmt(value / baseline, 3)}`;
  console.log(line);
  return line;
}

export function note(text: string): void { console.log(`# ${text}`); }

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
