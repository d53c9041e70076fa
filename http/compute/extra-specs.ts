import { badRequest } from './errors.js';
import { EXTRA_SPEC_RULES, type ValueRule } from './extra-spec-rules.js';
import type { Microversion } from './microversion.js';

const rules = EXTRA_SPEC_RULES.map(([name, rule]) => ({ name: new RegExp(`^(?:${name})$`, 'u'), rule }));
// A name in one of these namespaces must match a rule; names elsewhere are the operator's own.
const namespaces = [
  ...new Set(
    EXTRA_SPEC_RULES.map(([name]) => name)
      .filter((n) => n.includes(':'))
      .map((n) => n.split(':')[0]),
  ),
].map((ns) => new RegExp(`^(?:${ns})$`, 'u'));

const failed = (why: string) => badRequest(`Validation failed; ${why}`);
const BOOLEAN_LIKE = ['1', 't', 'true', 'on', 'y', 'yes', '0', 'f', 'false', 'off', 'n', 'no'];

function checkValue(rule: ValueRule, value: string): void {
  if (rule.type === 'bool') {
    if (!BOOLEAN_LIKE.includes(value.trim().toLowerCase())) throw failed(`'${value}' is not a valid boolean-like value.`);
  } else if (rule.type === 'int') {
    if (!/^\s*[+-]?\d+\s*$/.test(value)) throw failed(`'${value}' is not a valid integer value.`);
    const n = parseInt(value, 10);
    if (rule.max !== undefined && rule.max < n) throw failed(`'${n}' is greater than the max value of '${rule.max}'.`);
    if (rule.min !== undefined && rule.min > n) throw failed(`'${n}' is less than the min value of '${rule.min}'.`);
  } else if (rule.pattern !== undefined) {
    if (!new RegExp(`^(?:${rule.pattern})$`, 'u').test(value)) throw failed(`'${value}' is not of the format '${rule.pattern}'.`);
  } else if (rule.enum && !rule.enum.includes(value)) {
    throw failed(`'${value}' is not one of: ${rule.enum.join(', ')}.`);
  }
}

/**
 * Checks extra specs as Nova's API does before it stores them: numbers no longer than 255
 * characters written out, and from 2.86 each known name's value against its rule.
 */
export function checkExtraSpecs(specs: Record<string, string | number>, v: Microversion): void {
  for (const [name, raw] of Object.entries(specs)) {
    const value = String(raw);
    if (typeof raw === 'number' && value.length > 255) throw badRequest(`extra_specs value has ${value.length} characters, more than 255.`);
    if (!v.atLeast('2.86')) continue;
    const known = rules.find((r) => r.name.test(name));
    if (known) {
      checkValue(known.rule, value);
      continue;
    }
    if (name.includes(':') && namespaces.some((ns) => ns.test(name.split(':')[0]))) {
      throw failed(`extra spec '${name}' does not appear to be a valid extra spec.`);
    }
  }
}
