/**
 * Nova's extra_specs_ops.match: a requirement is a plain value (equal strings), or an operator and its
 * operand(s): `=` (a number at least), `s==` `s!=` `s>=` `s>` `s<=` `s<` (strings), `==` `!=` `>=` `<=` (numbers),
 * `<in>` (a substring), `<all-in>` (every word a substring), `<or>` (any of the alternatives equal).
 */
export function specMatches(value: string, requirement: string): boolean {
  const words = requirement.trim().split(/\s+/);
  const op = words[0];
  const operand = words.slice(1).join(' ');
  const num = (s: string) => (s.trim() === '' ? NaN : Number(s));
  switch (op) {
    case '=':
      return num(value) >= num(operand);
    case '==':
      return num(value) === num(operand);
    case '!=':
      return num(value) !== num(operand);
    case '>=':
      return num(value) >= num(operand);
    case '<=':
      return num(value) <= num(operand);
    case 's==':
      return value === operand;
    case 's!=':
      return value !== operand;
    case 's>=':
      return value >= operand;
    case 's>':
      return value > operand;
    case 's<=':
      return value <= operand;
    case 's<':
      return value < operand;
    case '<in>':
      return value.includes(operand);
    case '<all-in>':
      return words.slice(1).every((w) => value.includes(w));
    case '<or>':
      return requirement
        .trim()
        .split(/\s*<or>\s*/)
        .filter(Boolean)
        .some((alternative) => alternative === value);
    default:
      return value === requirement;
  }
}

const SCOPE = 'aggregate_instance_extra_specs';

/**
 * Nova's AggregateInstanceExtraSpecsFilter: every extra spec scoped `aggregate_instance_extra_specs:` or with no
 * scope at all must be in the host's aggregates' metadata, with a value that matches; other scopes are not its business.
 */
export function aggregateSpecsMatch(
  metadata: ReadonlyMap<string, ReadonlySet<string>> | undefined,
  specs: Readonly<Record<string, string>>,
): boolean {
  for (const [key, requirement] of Object.entries(specs)) {
    const colon = key.indexOf(':');
    if (colon >= 0 && key.slice(0, colon) !== SCOPE) continue;
    const values = metadata?.get(colon >= 0 ? key.slice(colon + 1) : key);
    if (!values?.size || ![...values].some((v) => specMatches(v, requirement))) return false;
  }
  return true;
}

/** The extra specs of a flavor (as an instance keeps them, JSON) that the aggregate filter reads, or undefined for none. */
export function aggregateSpecsOf(flavorExtraSpecs: string | Record<string, string> | null | undefined): Record<string, string> | undefined {
  let specs: unknown = flavorExtraSpecs;
  if (typeof specs === 'string') {
    try {
      specs = JSON.parse(specs);
    } catch {
      return undefined;
    }
  }
  if (!specs || typeof specs !== 'object') return undefined;
  const kept = Object.entries(specs as Record<string, string>).filter(([k]) => !k.includes(':') || k.startsWith(`${SCOPE}:`));
  return kept.length ? Object.fromEntries(kept) : undefined;
}
