import fc from 'fast-check';

// Value domains the request schemas only name (formats) and the hostile values no schema names,
// for the generated-input suite.

const hex = (n: number, upper: boolean, pad: number) => n.toString(16).padStart(pad, '0')[upper ? 'toUpperCase' : 'toLowerCase']();

/** IPv4 in every textual form a client may send: dotted, zero-padded, short, integer, octal/hex parts, with spaces, out of range. */
export const ipv4Text: fc.Arbitrary<string> = fc.oneof(
  fc.ipV4(),
  fc
    .tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 3 }))
    .map(([parts, pad]) => parts.map((p) => String(p).padStart(pad, '0')).join('.')),
  fc.ipV4Extended(),
  fc.integer({ min: 0, max: 0xffffffff }).map(String),
  fc.constantFrom(
    '127.1',
    '0x7f.0.0.1',
    '0177.0.0.1',
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4/24',
    '01.02.03.04',
    '0.0.0.0',
    '255.255.255.255',
    '1..2.3',
    '١.٢.٣.٤',
    '1.2.3.-4',
    '4294967296',
    '',
  ),
);

function ipv6Parts(groups: number[], upper: boolean, pad: boolean, compress: boolean): string {
  const text = groups.map((g) => hex(g, upper, pad ? 4 : 1));
  if (!compress) return text.join(':');
  // The longest run of zero groups collapses to '::'.
  let best = [-1, 0];
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > best[1]) best = [i, j - i];
    i = j;
  }
  if (best[0] < 0) return text.join(':');
  return `${text.slice(0, best[0]).join(':')}::${text.slice(best[0] + best[1]).join(':')}`;
}

const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));

/** IPv6 in every textual form: full, zero-padded, compressed, uppercase, mixed with IPv4, with zone, bracketed, malformed. */
export const ipv6Text: fc.Arbitrary<string> = fc.oneof(
  fc.ipV6(),
  fc
    .tuple(fc.array(group, { minLength: 8, maxLength: 8 }), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([g, upper, pad, compress]) => ipv6Parts(g, upper, pad, compress)),
  fc
    .tuple(fc.array(group, { minLength: 6, maxLength: 6 }), fc.ipV4(), fc.boolean())
    .map(([g, v4, upper]) => `${ipv6Parts(g, upper, false, true)}:${v4}`.replace(/^:(?!:)/, '::')),
  fc.tuple(fc.ipV4(), fc.boolean()).map(([v4, upper]) => `::${upper ? 'FFFF' : 'ffff'}:${v4}`),
  fc.constantFrom(
    '::',
    '::1',
    '::0',
    '0::0',
    'fe80::1%eth0',
    '[::1]',
    '::ffff:1.2.3.4',
    '::FFFF:01.02.03.04',
    '1::2::3',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '00000::1',
    'g::1',
    '::1/128',
    '2001:DB8::',
    '2001:0db8:0000:0000:0000:0000:0000:0001',
    '::1.2.3.4',
    '1:2:3:4:5:6:1.2.3.4',
    '',
  ),
);

/** A UUID as clients write them: canonical, uppercase, without dashes, in braces, with a URN prefix, truncated. */
export const uuidText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.uuid() },
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => `urn:uuid:${u}`),
  fc.uuid().map((u) => u.slice(0, 35)),
  fc.constant('00000000-0000-0000-0000-000000000000'),
);

/** ISO 8601 timestamps, valid and just-invalid: offsets, fractions, leap seconds, years 0 and 10000, impossible days. */
export const dateTimeText: fc.Arbitrary<string> = fc.oneof(
  fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().replace(/\.\d{3}Z$/, '+05:30')),
  fc.constantFrom(
    '2026-02-30T00:00:00Z',
    '2026-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    '+010000-01-01T00:00:00Z',
    '2026-01-01',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00.123456789Z',
    '2026-01-01 00:00:00',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '1e308',
    '-1',
    'now',
    '',
    '2026-01-01T00:00:00+99:99',
    '99999-01-01T00:00:00Z',
    '-000001-01-01T00:00:00Z',
  ),
);

/** Catastrophic-backtracking regexes (their safety is another slice's; see KNOWN_ELSEWHERE). */
export const CATASTROPHIC = ['(a+)+$', '(a|a)*b', '^(([a-z])+.)+[A-Z]([a-z])+$', '(x+x+)+y', '(.*a){20}'];

/** Regex texts a filter may be given: plain, anchored, unicode classes, and invalid ones. */
export const regexText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom(
    '^a',
    'a$',
    '.*',
    '[',
    '(',
    '(?P<x>a)',
    '\\',
    '\\d+',
    '[[:alpha:]]',
    '(?i)web',
    'a{2,1}',
    '\\p{L}',
    '*',
    '+',
    '?',
    'a**',
    '(?=a)',
    '(?<=a)b',
    '\\1(a)',
  ),
  fc.constantFrom(...CATASTROPHIC),
);

const unicodeSamples = [
  'é',
  'e\u0301',
  '\u05e9\u05dc\u05d5\u05dd',
  '\u202eevil',
  '\u{1F600}',
  '\u{10FFFF}',
  '\uFFFF',
  '\uFEFF',
  '\u200b',
  '\u2028',
  '\u00a0',
  'ﬁ',
  'İ',
  'ß',
  '\ud800',
  '\udc00',
  '\u0007',
  '\t',
  '\n',
  '\r\n',
  '\u0085',
  'Z̤͔ͧ̑̓',
  '𝔘𝔫𝔦',
  '日本語',
  '\\',
  '"',
  "'",
  '<script>',
  '${x}',
  '%s%n',
  '{{7*7}}',
];

/** Strings of every kind: ascii, unicode with astral/combining/RTL/separators/lone surrogates, control characters. */
export const anyText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 2, arbitrary: fc.array(fc.constantFrom(...unicodeSamples), { minLength: 1, maxLength: 4 }).map((a) => a.join('')) },
  );

/** Numbers at and beyond every boundary a schema or a database column has. */
export const edgeNumbers = [
  0,
  -0,
  1,
  -1,
  0.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  1e30,
  1e308,
  -1e308,
  5e-324,
  1.7976931348623157e308,
];
export const edgeNumberTexts = [
  '0',
  '-0',
  '00',
  '01',
  '+1',
  '1.0',
  '1e3',
  '1e308',
  '1e309',
  '-1',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  ' 1',
  '1 ',
  '2147483647',
  '2147483648',
  '9223372036854775808',
  '99999999999999999999999999999999',
  '١٢',
  '',
  '1_000',
];

/** A string of the given length in code points (astral characters count once). */
export const textOfLength = (n: number, unit = 'a') => unit.repeat(Math.max(0, n));

/** Hostile strings: NUL, traversal, very long, format strings, injection, regex bombs, number texts. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '../../../../etc/passwd',
    '..',
    '.',
    '%2e%2e%2f',
    '/',
    '//',
    '\\..\\..',
    "' OR 1=1 --",
    '"; DROP TABLE instances; --',
    '%',
    '%00',
    '%zz',
    '$(reboot)',
    '`id`',
    '\r\nX-Injected: 1',
    ...CATASTROPHIC,
    ...edgeNumberTexts,
  ),
  fc.constantFrom(256, 1_000, 65_536, 70_000).map((n) => 'x'.repeat(n)),
  fc.constantFrom(64, 256).map((n) => '\u{1F600}'.repeat(n)),
);

/** Hostile strings short enough to stand in any field of a body (the long ones go in whole bodies and chosen fields). */
export const shortHostileText = hostileText.filter((s) => s.length <= 300);

/** JSON nested `depth` deep, as text (arrays or objects). */
export const nested = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Any JSON value, small: for fields given the wrong type. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, '', 'x', [], {}, [null], { '': null }, ...edgeNumbers),
  fc.jsonValue({ maxDepth: 2 }),
  shortHostileText,
);
