import { RE2JS } from 're2js';
import { badRequest } from './errors.js';

// A user's regular expression runs on RE2 (re2js): matching is linear in the text, so no pattern
// can backtrack for hours ('(a+)+$' against a long run of 'a's). RE2 refuses what needs
// backtracking (lookaround, backreferences); those are refused as a 400 naming the filter.

/** The longest pattern a filter takes: a name is at most 255 characters, and so is a pattern for one. */
export const MAX_FILTER_REGEX_LENGTH = 255;
// RE2's own bound is on the compiled program (max_mem); matching costs about the program's size
// per character, so a pattern that compiles to more than this is refused too ('.{1000}' repeated).
const MAX_PROGRAM = 1000;

// re2js's typings hide the compiled program, whose size bounds a filter's cost.
const programSize = (re: RE2JS): number | undefined => (re.re2() as unknown as { prog?: { inst?: unknown[] } }).prog?.inst?.length;

/** Whether RE2 compiles it (the query schema's 'regex' format also takes what Python's re does). */
export function re2Compiles(pattern: string): boolean {
  try {
    RE2JS.compile(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * A filter's pattern as MySQL's REGEXP, the reference deployment's, matches it: a search (not
 * anchored), case-insensitive, with '|' taken literally. Returns the test for one column's text.
 */
export function filterRegex(filter: string, pattern: string): (text: string) => boolean {
  const refuse = (why: string) => badRequest(`Invalid input for query parameters ${filter}. Value: ${pattern}. ${why}`);
  if (pattern.length > MAX_FILTER_REGEX_LENGTH) throw refuse(`It is longer than ${MAX_FILTER_REGEX_LENGTH} characters.`);
  // Only a bare '|' is made literal: an escaped one already is, and the escape must stay paired with its character.
  const source = pattern.replace(/\\[\s\S]|\|/g, (m) => (m === '|' ? '\\|' : m));
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    throw refuse(`It is not a regular expression this cloud can match (${(error as Error).message}).`);
  }
  if ((programSize(re) ?? 0) > MAX_PROGRAM) throw refuse('It is too complex to match.');
  return (text) => re.test(text);
}
