import test from 'ava';
import { Microversion } from '../http/compute/microversion.js';
import { parseBootRequest } from '../http/compute/server-request.js';
import { firstMessage, pyRepr } from '../http/compute/json-schema.js';
import { ipv4, ipv6, isUuidLike, parseIsoTime, pythonBase64 } from '../http/compute/nova-values.js';
import { name } from '../http/compute/parameter-types.js';

const validName = (text: string) => firstMessage(name, text) === undefined;

// The pieces Nova's request checks are rebuilt from, against what Python and Nova's validators
// answer for the same input (each expectation was read off Python 3.11 / python-jsonschema 4.10).

test('values are quoted as Python’s repr quotes them', (t) => {
  t.is(pyRepr("it's"), '"it\'s"');
  t.is(pyRepr('say "hi"'), '\'say "hi"\'');
  t.is(pyRepr('both \' and "'), "'both \\' and \"'");
  t.is(pyRepr({ a: [1, true, null] }), "{'a': [1, True, None]}");
  t.is(pyRepr('tab\there'), "'tab\\there'");
});

test('base64 is read as Python’s b64decode reads it: odd characters skipped, padding must add up', (t) => {
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['YQ==', true],
    ['YQ', false],
    ['YWI=', true],
    ['Y Q = =', true],
    ['YQ==YQ==', true],
    ['a=b=', false],
    ['abc=', true],
    ['====', true],
    ['YQ=a', false],
    ['é', false],
  ];
  for (const [text, valid] of cases) t.is(pythonBase64(text), valid, JSON.stringify(text));
});

test('addresses, uuids, times and names as Nova’s format checkers take them', (t) => {
  for (const good of ['::', '1::', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '2001:DB8::1']) t.true(ipv6(good), good);
  for (const bad of ['1:2:3:4:5:6:7:8::', ':1::', '1.2.3.4', 'fe80::1%eth0', '12345::', '::ffff:1.2.3']) t.false(ipv6(bad), bad);
  t.true(ipv4('192.0.2.255'));
  for (const bad of ['01.2.3.4', '256.0.0.1', '1.2.3']) t.false(ipv4(bad), bad);
  for (const good of [
    '5c7a1f3e-0000-4000-8000-000000000001',
    '5C7A1F3E000040008000000000000001',
    '{5c7a1f3e-0000-4000-8000-000000000001}',
    'urn:uuid:5c7a1f3e-0000-4000-8000-000000000001',
  ])
    t.true(isUuidLike(good), good);
  t.false(isUuidLike('5c7a1f3e-0000-4000-8000-00000000000'));
  t.is(parseIsoTime('2026-11-25T09:37:29Z')?.toISOString(), '2026-11-25T09:37:29.000Z');
  t.is(parseIsoTime('2026-11-25T10:37:29.5+01:00')?.toISOString(), '2026-11-25T09:37:29.500Z');
  t.is(parseIsoTime('2026-11-25')?.toISOString(), '2026-11-25T00:00:00.000Z', 'a time without a zone is UTC');
  t.is(parseIsoTime('yesterday'), undefined);
  t.true(validName('a b'));
  for (const bad of [' a', 'a ', 'a\tb', 'a\u200bb', 'emoji 😀']) t.false(validName(bad), JSON.stringify(bad));
});

test('a boot request is read as Nova reads it once its schema passes', (t) => {
  const v = new Microversion(2, 1);
  const r = parseBootRequest(
    {
      server: {
        name: 'x',
        imageRef: '5c7a1f3e-0000-4000-8000-000000000001',
        flavorRef: 'http://nova/flavors/42?x=1',
        min_count: '2',
        security_groups: [{ name: 'default' }, { name: 'default' }],
        return_reservation_id: 'no',
        config_drive: 'False',
      },
    },
    v,
  );
  t.like(r, { flavorRef: '42', minCount: 2, maxCount: 2, returnReservationId: true, configDrive: false, description: 'x', tags: [] });
  t.deepEqual(r.securityGroups, ['default']);
  t.deepEqual(r.securityGroupsEcho, [{ name: 'default' }, { name: 'default' }], 'the 202 echoes the request as sent');
  const later = parseBootRequest({ server: { name: 'x', imageRef: '', flavorRef: 7, networks: 'none', hostname: 'h1' } }, new Microversion(2, 90));
  t.like(later, { flavorRef: '7', description: null, hostname: 'h1', returnReservationId: false });
});
