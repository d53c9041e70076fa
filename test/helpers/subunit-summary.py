"""Reads a subunit v2 stream (stestr last --subunit) on stdin and prints the totals, the failures and the skips with
their reasons, one test a line. Run by test/tempest/run.ts and test/sdk-functional/run.ts with Debian's python3
(python3-subunit)."""
import collections
import sys

import subunit
import testtools

results = {}


def on_test(test):
    status = test['status']
    if status in ('exists', 'inprogress'):
        return
    reason = ''
    if status == 'skip' and 'reason' in test['details']:
        reason = test['details']['reason'].as_text().strip()
    results[test['id']] = (status, reason)


stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout')
result = testtools.StreamToDict(on_test)
result.startTestRun()
stream.run(result)
result.stopTestRun()

counts = collections.Counter(status for status, _ in results.values())
# setUpClass failures are reported under the class's name; they count as failures.
print('passed: %d' % (counts['success'] + counts['xfail']))
print('failed: %d' % (counts['fail'] + counts['uxsuccess']))
print('skipped: %d' % counts['skip'])
print('\n# failed')
for test_id, (status, _) in sorted(results.items()):
    if status in ('fail', 'uxsuccess'):
        print(test_id)
print('\n# skipped')
for test_id, (status, reason) in sorted(results.items()):
    if status == 'skip':
        print('%s: %s' % (test_id, reason))
