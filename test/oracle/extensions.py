"""Stratus's deltas over Tempest's response schemas, and the few schemas Tempest lacks.

Debian's Tempest 33.0.0 stops at 2.79; Nova 26.0.0 goes to 2.93. Above 2.79 its client picks
the newest module (max None), and these deltas, applied in order of their `since`, bring that
schema to the version asked for. Each was derived from Nova 26.0.0 (rest_api_version_history,
the controllers and views, api-ref parameters.yaml), with upstream Tempest's v2_80…v2_89
modules read for comparison; none is a copy.

Not modelled: the partial records of servers and services in down cells (2.69); Stratus has no cells.

A few deltas correct Tempest below 2.80 where its schema rejects or forgets what Nova always
does (each says so); without them the oracle would fail a correct Nova response or miss a
field Nova never omits.
"""

import copy

date_time = {'type': 'string', 'format': 'iso8601-date-time'}
uuid = {'type': 'string', 'format': 'uuid'}
links = {
    'type': 'array',
    'items': {
        'type': 'object',
        'properties': {'href': {'type': 'string', 'format': 'uri'}, 'rel': {'type': 'string'}},
        'additionalProperties': False, 'required': ['href', 'rel'],
    },
}


class Delta:
    def __init__(self, client, names, since, why, apply):
        self.client, self.names, self.since, self.why, self.apply = client, names, since, why, apply


def body(schema):
    return schema['response_body']['properties']


def servers_in(schema):
    """The server objects of a show/update/rebuild (`server`) or detail list (`servers`) schema."""
    props = body(schema)
    return [props['server']] if 'server' in props else [props['servers']['items']]


def require(obj, *fields):
    for f in fields:
        if f not in obj['required']:
            obj['required'].append(f)


def drop(obj, *fields):
    """Removes fields from an object schema that forbids additional properties: they may not appear."""
    assert obj.get('additionalProperties') is False, 'dropping a field needs additionalProperties: False'
    for f in fields:
        obj['properties'].pop(f, None)
        if f in obj['required']:
            obj['required'].remove(f)


def _locked(schema):
    for server in servers_in(schema):
        require(server, 'locked')


def _hostname(schema):
    for server in servers_in(schema):
        require(server, 'OS-EXT-SRV-ATTR:hostname')


def _instance_actions_v258(schema):
    props = body(schema)
    action = props['instanceActions']['items']
    action['properties']['updated_at'] = copy.deepcopy(date_time)
    require(action, 'updated_at')
    props['links'] = copy.deepcopy(links)


def _event_details(schema):
    event = body(schema)['instanceAction']['properties']['events']['items']
    event['properties']['details'] = {'type': ['string', 'null']}


def _attachment_ids(schema):
    props = body(schema)
    attachment = props['volumeAttachment'] if 'volumeAttachment' in props else props['volumeAttachments']['items']
    drop(attachment, 'id')
    # UNSURE: a volume attached before Cinder's attachment API (pre-Queens) has no attachment id;
    # Nova would then show null. Allowed here, as api-ref does not say.
    attachment['properties']['attachment_id'] = {'anyOf': [copy.deepcopy(uuid), {'type': 'null'}]}
    attachment['properties']['bdm_uuid'] = copy.deepcopy(uuid)
    require(attachment, 'attachment_id', 'bdm_uuid')


def _migration_owner(schema):
    migration = body(schema)['migrations']['items']
    # api-ref: "may be null for older migration records".
    migration['properties']['user_id'] = {'type': ['string', 'null']}
    migration['properties']['project_id'] = {'type': ['string', 'null']}
    require(migration, 'user_id', 'project_id')


HYPERVISOR_FIGURES_GONE_AT_288 = (
    'vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used', 'local_gb_used', 'free_ram_mb',
    'free_disk_gb', 'current_workload', 'running_vms', 'disk_available_least', 'cpu_info',
)


def _hypervisors_v288(schema):
    props = body(schema)
    hypervisor = props['hypervisor'] if 'hypervisor' in props else props['hypervisors']['items']
    drop(hypervisor, *HYPERVISOR_FIGURES_GONE_AT_288)
    # Nova always adds uptime to the detail at 2.88, null where the driver or a down host has none.
    hypervisor['properties']['uptime'] = {'type': ['string', 'null']}
    require(hypervisor, 'uptime')


def _no_generated_keys(schema):
    drop(body(schema)['keypair'], 'private_key')


def _empty_tenant_usage(schema):
    usage = body(schema)['tenant_usage']
    body(schema)['tenant_usage'] = {'oneOf': [usage, {'type': 'object', 'maxProperties': 0}]}


def _keypair_links(schema):
    body(schema)['keypairs_links'] = copy.deepcopy(links)


def _migration_links(schema):
    body(schema)['migrations_links'] = copy.deepcopy(links)


def _event_name(name):
    def apply(schema):
        enum = body(schema)['events']['items']['properties']['name']['enum']
        if name not in enum:
            enum.append(name)
    return apply


def _multi_status(schema):
    if 207 not in schema['status_code']:
        schema['status_code'] = schema['status_code'] + [207]


def _host_update_without_change(schema):
    schema['response_body']['anyOf'].append({'required': ['host']})


SERVER_VIEWS = ['get_server', 'list_servers_detail', 'update_server', 'rebuild_server_with_admin_pass']

DELTAS = sorted([
    # Correction: Nova's views show `locked` from 2.9 on in every server view; Tempest requires
    # it only in its 2.9 module and forgets it from 2.16.
    Delta('ServersClient', SERVER_VIEWS, '2.9', '2.9: locked (Tempest forgets it from 2.16)', _locked),
    Delta('ServersClient', SERVER_VIEWS, '2.90', '2.90: OS-EXT-SRV-ATTR:hostname for every user', _hostname),
    # Correction: Nova's list gained updated_at and paging links at 2.58; Tempest 33 validates
    # the list with its 2.1 schema whatever the version, which forbids both.
    Delta('ServersClient', ['list_instance_actions'], '2.58', '2.58: updated_at and links in the action list',
          _instance_actions_v258),
    # details is shown only where policy events:details allows (admins by default): optional.
    Delta('ServersClient', ['show_instance_action'], '2.84', '2.84: details in events', _event_details),
    Delta('ServersClient', ['show_volume_attachment', 'list_volume_attachments'], '2.89',
          '2.89: attachment_id and bdm_uuid instead of id', _attachment_ids),
    # Correction: os-migrations pages from 2.59, with migrations_links; Tempest's list forbids them.
    Delta('MigrationsClient', ['list_migrations'], '2.59', '2.59: migrations_links', _migration_links),
    Delta('MigrationsClient', ['list_migrations'], '2.80', '2.80: user_id and project_id', _migration_owner),
    Delta('HypervisorClient', ['get_hypervisor', 'list_hypervisors_detail'], '2.88',
          '2.88: resource figures and cpu_info gone, uptime added', _hypervisors_v288),
    Delta('KeyPairsClient', ['create_keypair'], '2.92', '2.92: import only, no private_key', _no_generated_keys),
    # Correction: keypairs_links appear with paging from 2.35; Tempest's list forbids them.
    Delta('KeyPairsClient', ['list_keypairs'], '2.35', '2.35: keypairs_links', _keypair_links),
    # Correction: Nova answers a project with no usage in the period with an empty tenant_usage
    # (simple_tenant_usage.py returns {} when nothing was found); Tempest requires the totals.
    Delta('TenantUsagesClient', ['get_tenant_usage'], '2.1', '2.1: tenant_usage may be empty', _empty_tenant_usage),
    # Correction: the event names Nova accepts grew after 2.1 and the response echoes them.
    # Correction: Nova's os-hosts update schema puts its anyOf among the properties, so a body naming neither
    # status nor maintenance_mode passes and Nova answers {"host": id} alone; Tempest's schema requires one of them.
    Delta('HostsClient', ['update_host'], '2.1', '2.1: an update naming nothing answers the host alone', _host_update_without_change),
    # Correction: Nova answers 207 Multi-Status when any event was not taken (its code per event says why);
    # Tempest's schema knows only 200.
    Delta('ServerExternalEventsClient', ['create'], '2.1', '2.1: 207 when an event failed', _multi_status),
    Delta('ServerExternalEventsClient', ['create'], '2.51', '2.51: volume-extended', _event_name('volume-extended')),
    Delta('ServerExternalEventsClient', ['create'], '2.76', '2.76: power-update', _event_name('power-update')),
    Delta('ServerExternalEventsClient', ['create'], '2.82', '2.82: accelerator-request-bound',
          _event_name('accelerator-request-bound')),
    Delta('ServerExternalEventsClient', ['create'], '2.93', '2.93: volume-reimaged', _event_name('volume-reimaged')),
], key=lambda d: tuple(int(p) for p in d.since.split('.')))


def _at_least(version, since):
    return tuple(int(p) for p in version.split('.')) >= tuple(int(p) for p in since.split('.'))


def _server_migration(version):
    """A live migration in progress as server_migrations.output() builds it (Nova 26.0.0)."""
    text, count = {'type': ['string', 'null']}, {'type': ['integer', 'null']}
    properties = {
        'id': {'type': 'integer'}, 'server_uuid': uuid, 'status': {'type': 'string'},
        'created_at': date_time, 'updated_at': {'type': ['string', 'null'], 'format': 'iso8601-date-time'},
        'source_compute': text, 'source_node': text, 'dest_compute': text, 'dest_host': text, 'dest_node': text,
        'memory_total_bytes': count, 'memory_processed_bytes': count, 'memory_remaining_bytes': count,
        'disk_total_bytes': count, 'disk_processed_bytes': count, 'disk_remaining_bytes': count,
    }
    if _at_least(version, '2.59'):
        properties['uuid'] = uuid
    if _at_least(version, '2.80'):
        properties['user_id'] = text
        properties['project_id'] = text
    return copy.deepcopy({'type': 'object', 'properties': properties, 'additionalProperties': False, 'required': sorted(properties)})


def _server_migrations(version):
    return {
        'status_code': [200],
        'response_body': {
            'type': 'object', 'properties': {'migrations': {'type': 'array', 'items': _server_migration(version)}},
            'additionalProperties': False, 'required': ['migrations'],
        },
    }


def _server_migration_show(version):
    return {
        'status_code': [200],
        'response_body': {
            'type': 'object', 'properties': {'migration': _server_migration(version)},
            'additionalProperties': False, 'required': ['migration'],
        },
    }


# Schemas of routes no Tempest 33 client validates: a dict, or a function of the version.
STRATUS_SCHEMAS = {
    # /servers/{id}/migrations (2.22 to 2.24 brought force_complete, list, show and abort).
    'server_migrations': _server_migrations,
    'server_migration': _server_migration_show,
    'server_migration_accepted': {'status_code': [202]},
    # POST /servers with return_reservation_id (api-ref: create multiple servers).
    'create_server_reservation': {
        'status_code': [202],
        'response_body': {
            'type': 'object',
            'properties': {'reservation_id': {'type': 'string'}},
            'additionalProperties': False,
            'required': ['reservation_id'],
        },
    },
    # POST /os-aggregates/{id}/images (2.81): accepted, no body.
    'aggregate_cache_images': {'status_code': [202]},
}

# Nova's fault names (nova/api/openstack/wsgi.py Fault._fault_names); others are computeFault.
FAULT_NAMES = {
    400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound', 405: 'badMethod',
    409: 'conflictingRequest', 413: 'overLimit', 415: 'badMediaType', 429: 'overLimit',
    501: 'notImplemented', 503: 'serviceUnavailable',
}


def fault_schema(status, body=None):
    """An error body as Nova writes it; a 401 comes from keystonemiddleware, in its own shape, unless a controller
    raised it (os-console-auth-tokens' HTTPUnauthorized below 2.31), which is a fault like any other."""
    if status == 401 and not (isinstance(body, dict) and 'unauthorized' in body):
        inner = {
            'type': 'object',
            'properties': {'code': {'enum': [401]}, 'title': {'type': 'string'}, 'message': {'type': 'string'}},
            'additionalProperties': False, 'required': ['code', 'title', 'message'],
        }
        name = 'error'
    else:
        inner = {
            'type': 'object',
            'properties': {'code': {'enum': [status]}, 'message': {'type': 'string'}},
            'additionalProperties': False, 'required': ['code', 'message'],
        }
        if status in (413, 429):
            inner['properties']['retryAfter'] = {'type': 'string'}
        name = FAULT_NAMES.get(status, 'computeFault')
    return {
        'type': 'object', 'properties': {name: inner}, 'additionalProperties': False, 'required': [name],
    }, name
