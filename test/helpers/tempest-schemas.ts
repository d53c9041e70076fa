import { execFile } from 'node:child_process';

/**
 * Checks compute responses against Tempest's response schemas (Debian's Tempest, as its
 * servers client picks them per microversion), in one Python process for many responses.
 */
export interface RecordedResponse {
  /** The servers client method whose schema applies, e.g. `get_server`, `list_servers_detail`, `update_tag`. */
  readonly method: string;
  readonly version: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

const SCRIPT = `
import json, sys
from tempest.lib.common import rest_client
from tempest.lib.services.compute import servers_client
from tempest.lib.api_schema.response.compute.v2_1 import servers as base
from tempest.lib.common import api_version_request as avr

# Methods whose schema the client takes from v2.1 whatever the microversion.
UNVERSIONED = {'create_server': 'create_server_with_admin_pass', 'delete_server': 'delete_server',
               'list_server_metadata': 'list_server_metadata', 'set_server_metadata': 'set_server_metadata',
               'update_server_metadata': 'update_server_metadata',
               'show_server_metadata_item': 'set_show_server_metadata_item',
               'set_server_metadata_item': 'set_show_server_metadata_item',
               'delete_server_metadata_item': 'delete_server_metadata_item'}

def versioned(version):
    v = avr.APIVersionRequest(version)
    for info in servers_client.ServersClient.schema_versions_info:
        if v.matches(avr.APIVersionRequest(info['min']), avr.APIVersionRequest(info['max'])):
            return info['schema']

class Resp(dict):
    def __init__(self, status, headers):
        super().__init__({k.lower(): v for k, v in headers.items()})
        self.status = status

errors = []
for n, case in enumerate(json.load(sys.stdin)):
    name = case['method']
    if name in UNVERSIONED:
        schema = getattr(base, UNVERSIONED[name])
    else:
        attr = {'show_server': 'get_server'}.get(name, name)
        schema = getattr(versioned(case['version']), attr)
    try:
        rest_client.RestClient.validate_response(schema, Resp(case['status'], case['headers']), case['body'])
    except Exception as e:
        errors.append({'case': n, 'method': name, 'version': case['version'], 'error': str(e)[:2000]})
print(json.dumps(errors))
`;

/** The responses that fail their Tempest schema, with why; empty when all pass. */
export function tempestErrors(responses: readonly RecordedResponse[]): Promise<Array<{ case: number; method: string; version: string; error: string }>> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', SCRIPT], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(responses));
  });
}
