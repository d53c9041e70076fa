"""Which Tempest schema answers for which compute route.

Each row names the Tempest service client that calls the route and the schema that client
validates the response with, exactly as the client does it (read from
tempest/lib/services/compute/*.py): either VERSIONED (the client calls get_schema, so the
module comes from its schema_versions_info for the request's microversion) or the name under
which the client module imported a fixed schema module (e.g. servers_client's `schema` is
v2_1/servers.py whatever the version).

`since`/`until` bound the microversions at which Nova 26.0.0 serves the route at all (read
from the api_version decorators of its controllers): outside them Nova answers 404, so a
success there is itself a violation. Only bounds checked in Nova's code are given.

Paths are below /v2.1 unless they start with '//' (the version documents).
"""

import re

VERSIONED = object()

# Tempest client class -> its module in tempest.lib.services.compute.
CLIENTS = {
    'AgentsClient': 'agents_client', 'AggregatesClient': 'aggregates_client',
    'AvailabilityZoneClient': 'availability_zone_client', 'BaremetalNodesClient': 'baremetal_nodes_client',
    'CertificatesClient': 'certificates_client', 'ExtensionsClient': 'extensions_client',
    'FixedIPsClient': 'fixed_ips_client', 'FlavorsClient': 'flavors_client',
    'FloatingIPPoolsClient': 'floating_ip_pools_client', 'FloatingIPsBulkClient': 'floating_ips_bulk_client',
    'FloatingIPsClient': 'floating_ips_client', 'HostsClient': 'hosts_client',
    'HypervisorClient': 'hypervisor_client', 'ImagesClient': 'images_client',
    'InstanceUsagesAuditLogClient': 'instance_usage_audit_log_client', 'InterfacesClient': 'interfaces_client',
    'KeyPairsClient': 'keypairs_client', 'LimitsClient': 'limits_client', 'MigrationsClient': 'migrations_client',
    'QuotaClassesClient': 'quota_classes_client', 'QuotasClient': 'quotas_client',
    'SecurityGroupDefaultRulesClient': 'security_group_default_rules_client',
    'SecurityGroupRulesClient': 'security_group_rules_client', 'SecurityGroupsClient': 'security_groups_client',
    'ServerExternalEventsClient': 'server_external_events_client', 'ServerGroupsClient': 'server_groups_client',
    'ServersClient': 'servers_client', 'ServicesClient': 'services_client', 'SnapshotsClient': 'snapshots_client',
    'TenantNetworksClient': 'tenant_networks_client', 'TenantUsagesClient': 'tenant_usages_client',
    'VersionsClient': 'versions_client', 'VolumesClient': 'volumes_client',
}

# Nova's last version with the proxy APIs (images, volumes, networks, ...) and image metadata.
PROXY_MAX = '2.35'
IMAGE_META_MAX = '2.38'


class Route:
    def __init__(self, method, template, client, alias, name, action=None, since=None, until=None):
        self.method, self.template, self.action = method, template, action
        self.client, self.alias, self.name = client, alias, name
        self.since, self.until = since, until
        segments = template.strip('/').split('/')
        # Literal segments beat placeholders (/servers/detail over /servers/{server_id}).
        self.specificity = tuple(0 if s.startswith('{') else 1 for s in segments)
        prefix = '^//' if template.startswith('//') else '^/'
        self.pattern = re.compile(prefix + '/'.join('[^/]+' if s.startswith('{') else re.escape(s) for s in segments) + '$')

    @property
    def key(self):
        path = self.template[1:] if self.template.startswith('//') else '/v2.1' + self.template
        return '%s %s%s' % (self.method, path, ' [%s]' % self.action if self.action else '')

    @property
    def tempest(self):
        return '%s.%s' % (self.client, self.name)


def _rows():
    V = VERSIONED
    r = []

    def add(method, template, client, alias, name, actions=None, **bounds):
        for action in actions or [None]:
            r.append(Route(method, template, client, alias, name, action, **bounds))

    # Version documents.
    add('GET', '//', 'VersionsClient', 'schema', 'list_versions')
    add('GET', '//v2.1', 'VersionsClient', 'schema', 'get_one_version')

    # Servers.
    S = 'ServersClient'
    add('POST', '/servers', S, 'schema', 'create_server_with_admin_pass')
    add('GET', '/servers', S, V, 'list_servers')
    add('GET', '/servers/detail', S, V, 'list_servers_detail')
    add('GET', '/servers/{server_id}', S, V, 'get_server')
    add('PUT', '/servers/{server_id}', S, V, 'update_server')
    add('DELETE', '/servers/{server_id}', S, 'schema', 'delete_server')
    add('GET', '/servers/{server_id}/ips', S, 'schema', 'list_addresses')
    add('GET', '/servers/{server_id}/ips/{network_label}', S, 'schema', 'list_addresses_by_network')
    action = '/servers/{server_id}/action'
    add('POST', action, S, 'schema', 'server_actions_common_schema', actions=[
        'changePassword', 'reboot', 'resize', 'revertResize', 'os-stop', 'os-start', 'addSecurityGroup',
        'removeSecurityGroup', 'os-migrateLive', 'migrate', 'lock', 'unlock', 'suspend', 'resume', 'pause',
        'unpause', 'os-resetState', 'shelve', 'unshelve', 'shelveOffload', 'forceDelete', 'restore',
        'resetNetwork', 'injectNetworkInfo', 'addFixedIp', 'removeFixedIp', 'unrescue'])
    add('POST', action, S, V, 'create_backup', actions=['createBackup'])
    add('POST', action, S, V, 'rebuild_server_with_admin_pass', actions=['rebuild'])
    add('POST', action, S, 'schema', 'server_actions_confirm_resize', actions=['confirmResize'])
    add('POST', action, S, 'schema', 'get_console_output', actions=['os-getConsoleOutput'])
    add('POST', action, S, 'schema', 'rescue_server_with_admin_pass', actions=['rescue'])
    add('POST', action, S, 'schema', 'evacuate_server_with_admin_pass', actions=['evacuate'])
    add('POST', action, S, 'schema', 'get_vnc_console', actions=['os-getVNCConsole'], until='2.5')
    add('POST', action, 'ImagesClient', V, 'create_image', actions=['createImage'])
    add('POST', action, 'FloatingIPsClient', 'schema', 'add_remove_floating_ip',
        actions=['addFloatingIp', 'removeFloatingIp'], until=PROXY_MAX)
    add('GET', '/servers/{server_id}/os-server-password', S, 'schema', 'show_password')
    add('DELETE', '/servers/{server_id}/os-server-password', S, 'schema', 'server_actions_delete_password')
    add('GET', '/servers/{server_id}/metadata', S, 'schema', 'list_server_metadata')
    add('PUT', '/servers/{server_id}/metadata', S, 'schema', 'set_server_metadata')
    add('POST', '/servers/{server_id}/metadata', S, 'schema', 'update_server_metadata')
    add('GET', '/servers/{server_id}/metadata/{key}', S, 'schema', 'set_show_server_metadata_item')
    add('PUT', '/servers/{server_id}/metadata/{key}', S, 'schema', 'set_show_server_metadata_item')
    add('DELETE', '/servers/{server_id}/metadata/{key}', S, 'schema', 'delete_server_metadata_item')
    add('GET', '/servers/{server_id}/os-volume_attachments', S, V, 'list_volume_attachments')
    add('POST', '/servers/{server_id}/os-volume_attachments', S, V, 'attach_volume')
    add('GET', '/servers/{server_id}/os-volume_attachments/{volume_id}', S, V, 'show_volume_attachment')
    add('PUT', '/servers/{server_id}/os-volume_attachments/{volume_id}', S, 'schema', 'update_attached_volume')
    add('DELETE', '/servers/{server_id}/os-volume_attachments/{volume_id}', S, 'schema', 'detach_volume')
    add('POST', '/servers/{server_id}/remote-consoles', S, V, 'get_remote_consoles', since='2.6')
    add('GET', '/servers/{server_id}/os-virtual-interfaces', S, 'schema', 'list_virtual_interfaces')
    add('GET', '/servers/{server_id}/diagnostics', S, V, 'show_server_diagnostics')
    add('GET', '/servers/{server_id}/os-instance-actions', S, 'schema', 'list_instance_actions')
    add('GET', '/servers/{server_id}/os-instance-actions/{request_id}', S, V, 'show_instance_action')
    add('GET', '/servers/{server_id}/os-security-groups', S, 'security_groups_schema', 'list_security_groups')
    add('GET', '/servers/{server_id}/tags', S, V, 'list_tags', since='2.26')
    add('PUT', '/servers/{server_id}/tags', S, V, 'update_all_tags', since='2.26')
    add('DELETE', '/servers/{server_id}/tags', S, V, 'delete_all_tags', since='2.26')
    add('GET', '/servers/{server_id}/tags/{tag}', S, V, 'check_tag_existence', since='2.26')
    add('PUT', '/servers/{server_id}/tags/{tag}', S, V, 'update_tag', since='2.26')
    add('DELETE', '/servers/{server_id}/tags/{tag}', S, V, 'delete_tag', since='2.26')
    I = 'InterfacesClient'
    add('GET', '/servers/{server_id}/os-interface', I, V, 'list_interfaces')
    add('POST', '/servers/{server_id}/os-interface', I, V, 'get_create_interfaces')
    add('GET', '/servers/{server_id}/os-interface/{port_id}', I, V, 'get_create_interfaces')
    add('DELETE', '/servers/{server_id}/os-interface/{port_id}', I, 'schema', 'delete_interface')

    # Flavors, their extra specs and access lists.
    F = 'FlavorsClient'
    add('GET', '/flavors', F, V, 'list_flavors')
    add('GET', '/flavors/detail', F, V, 'list_flavors_details')
    add('POST', '/flavors', F, V, 'create_update_get_flavor_details')
    add('GET', '/flavors/{flavor_id}', F, V, 'create_update_get_flavor_details')
    add('PUT', '/flavors/{flavor_id}', F, V, 'create_update_get_flavor_details')
    add('DELETE', '/flavors/{flavor_id}', F, 'schema', 'delete_flavor')
    add('GET', '/flavors/{flavor_id}/os-extra_specs', F, 'schema_extra_specs', 'set_get_flavor_extra_specs')
    add('POST', '/flavors/{flavor_id}/os-extra_specs', F, 'schema_extra_specs', 'set_get_flavor_extra_specs')
    add('GET', '/flavors/{flavor_id}/os-extra_specs/{key}', F, 'schema_extra_specs', 'set_get_flavor_extra_specs_key')
    add('PUT', '/flavors/{flavor_id}/os-extra_specs/{key}', F, 'schema_extra_specs', 'set_get_flavor_extra_specs_key')
    add('DELETE', '/flavors/{flavor_id}/os-extra_specs/{key}', F, 'schema_extra_specs', 'unset_flavor_extra_specs')
    add('GET', '/flavors/{flavor_id}/os-flavor-access', F, 'schema_access', 'add_remove_list_flavor_access')
    add('POST', '/flavors/{flavor_id}/action', F, 'schema_access', 'add_remove_list_flavor_access',
        actions=['addTenantAccess', 'removeTenantAccess'])

    # Keypairs, limits, quotas, usage.
    K = 'KeyPairsClient'
    add('GET', '/os-keypairs', K, V, 'list_keypairs')
    add('POST', '/os-keypairs', K, V, 'create_keypair')
    add('GET', '/os-keypairs/{keypair_name}', K, V, 'get_keypair')
    add('DELETE', '/os-keypairs/{keypair_name}', K, V, 'delete_keypair')
    add('GET', '/limits', 'LimitsClient', V, 'get_limit')
    Q = 'QuotasClient'
    add('GET', '/os-quota-sets/{tenant_id}', Q, V, 'get_quota_set')
    add('GET', '/os-quota-sets/{tenant_id}/detail', Q, V, 'get_quota_set_details')
    add('GET', '/os-quota-sets/{tenant_id}/defaults', Q, V, 'get_quota_set')
    add('PUT', '/os-quota-sets/{tenant_id}', Q, V, 'update_quota_set')
    add('DELETE', '/os-quota-sets/{tenant_id}', Q, V, 'delete_quota')
    add('GET', '/os-quota-class-sets/{quota_class}', 'QuotaClassesClient', V, 'get_quota_class_set')
    add('PUT', '/os-quota-class-sets/{quota_class}', 'QuotaClassesClient', V, 'update_quota_class_set')
    add('GET', '/os-simple-tenant-usage', 'TenantUsagesClient', 'tenant_usages', 'list_tenant_usage')
    add('GET', '/os-simple-tenant-usage/{tenant_id}', 'TenantUsagesClient', 'tenant_usages', 'get_tenant_usage')

    # Hypervisors, services, zones, hosts, aggregates, migrations.
    H = 'HypervisorClient'
    add('GET', '/os-hypervisors', H, V, 'list_search_hypervisors')
    add('GET', '/os-hypervisors/detail', H, V, 'list_hypervisors_detail')
    add('GET', '/os-hypervisors/statistics', H, V, 'get_hypervisor_statistics', until='2.87')
    add('GET', '/os-hypervisors/{hypervisor_id}', H, V, 'get_hypervisor')
    add('GET', '/os-hypervisors/{hypervisor_id}/uptime', H, V, 'get_hypervisor_uptime', until='2.87')
    add('GET', '/os-hypervisors/{hypervisor_name}/servers', H, V, 'get_hypervisors_servers', until='2.52')
    add('GET', '/os-hypervisors/{hypervisor_name}/search', H, V, 'list_search_hypervisors', until='2.52')
    SV = 'ServicesClient'
    add('GET', '/os-services', SV, V, 'list_services')
    add('PUT', '/os-services/{service_id}', SV, V, 'update_service', since='2.53')
    add('PUT', '/os-services/enable', SV, 'schema', 'enable_disable_service', until='2.52')
    add('PUT', '/os-services/disable', SV, 'schema', 'enable_disable_service', until='2.52')
    add('PUT', '/os-services/disable-log-reason', SV, 'schema', 'disable_log_reason', until='2.52')
    add('PUT', '/os-services/force-down', SV, 'schemav211', 'update_forced_down', since='2.11', until='2.52')
    add('GET', '/os-availability-zone', 'AvailabilityZoneClient', 'schema', 'list_availability_zone_list')
    add('GET', '/os-availability-zone/detail', 'AvailabilityZoneClient', 'schema', 'list_availability_zone_list_detail')
    HO = 'HostsClient'
    add('GET', '/os-hosts', HO, 'schema', 'list_hosts', until='2.42')
    add('GET', '/os-hosts/{host_name}', HO, 'schema', 'get_host_detail', until='2.42')
    add('PUT', '/os-hosts/{host_name}', HO, 'schema', 'update_host', until='2.42')
    add('GET', '/os-hosts/{host_name}/startup', HO, 'schema', 'startup_host', until='2.42')
    add('GET', '/os-hosts/{host_name}/shutdown', HO, 'schema', 'shutdown_host', until='2.42')
    add('GET', '/os-hosts/{host_name}/reboot', HO, 'schema', 'reboot_host', until='2.42')
    A = 'AggregatesClient'
    add('GET', '/os-aggregates', A, V, 'list_aggregates')
    add('POST', '/os-aggregates', A, V, 'create_aggregate')
    add('GET', '/os-aggregates/{aggregate_id}', A, V, 'get_aggregate')
    add('PUT', '/os-aggregates/{aggregate_id}', A, V, 'update_aggregate')
    add('DELETE', '/os-aggregates/{aggregate_id}', A, V, 'delete_aggregate')
    add('POST', '/os-aggregates/{aggregate_id}/action', A, V, 'aggregate_add_remove_host', actions=['add_host', 'remove_host'])
    add('POST', '/os-aggregates/{aggregate_id}/action', A, V, 'aggregate_set_metadata', actions=['set_metadata'])
    add('GET', '/os-migrations', 'MigrationsClient', V, 'list_migrations')

    # Server groups, external events, audit logs.
    G = 'ServerGroupsClient'
    add('GET', '/os-server-groups', G, V, 'list_server_groups')
    add('POST', '/os-server-groups', G, V, 'create_show_server_group')
    add('GET', '/os-server-groups/{group_id}', G, V, 'create_show_server_group')
    add('DELETE', '/os-server-groups/{group_id}', G, V, 'delete_server_group')
    add('POST', '/os-server-external-events', 'ServerExternalEventsClient', 'schema', 'create')
    add('GET', '/os-instance_usage_audit_log', 'InstanceUsagesAuditLogClient', 'schema', 'list_instance_usage_audit_log')
    add('GET', '/os-instance_usage_audit_log/{before}', 'InstanceUsagesAuditLogClient', 'schema', 'get_instance_usage_audit_log')

    # The proxy APIs (images, volumes, networks, security groups) Nova dropped at 2.36.
    IM = 'ImagesClient'
    add('GET', '/images', IM, 'schema', 'list_images', until=PROXY_MAX)
    add('GET', '/images/detail', IM, 'schema', 'list_images_details', until=PROXY_MAX)
    add('GET', '/images/{image_id}', IM, 'schema', 'get_image', until=PROXY_MAX)
    add('DELETE', '/images/{image_id}', IM, 'schema', 'delete', until=PROXY_MAX)
    for method in ('GET', 'PUT', 'POST'):
        add(method, '/images/{image_id}/metadata', IM, 'schema', 'image_metadata', until=IMAGE_META_MAX)
    for method in ('GET', 'PUT'):
        add(method, '/images/{image_id}/metadata/{key}', IM, 'schema', 'image_meta_item', until=IMAGE_META_MAX)
    add('DELETE', '/images/{image_id}/metadata/{key}', IM, 'schema', 'delete', until=IMAGE_META_MAX)
    VO = 'VolumesClient'
    add('GET', '/os-volumes', VO, 'schema', 'list_volumes', until=PROXY_MAX)
    add('GET', '/os-volumes/detail', VO, 'schema', 'list_volumes', until=PROXY_MAX)
    add('POST', '/os-volumes', VO, 'schema', 'create_get_volume', until=PROXY_MAX)
    add('GET', '/os-volumes/{volume_id}', VO, 'schema', 'create_get_volume', until=PROXY_MAX)
    add('DELETE', '/os-volumes/{volume_id}', VO, 'schema', 'delete_volume', until=PROXY_MAX)
    SN = 'SnapshotsClient'
    add('GET', '/os-snapshots', SN, 'schema', 'list_snapshots', until=PROXY_MAX)
    add('GET', '/os-snapshots/detail', SN, 'schema', 'list_snapshots', until=PROXY_MAX)
    add('POST', '/os-snapshots', SN, 'schema', 'create_get_snapshot', until=PROXY_MAX)
    add('GET', '/os-snapshots/{snapshot_id}', SN, 'schema', 'create_get_snapshot', until=PROXY_MAX)
    add('DELETE', '/os-snapshots/{snapshot_id}', SN, 'schema', 'delete_snapshot', until=PROXY_MAX)
    FI = 'FloatingIPsClient'
    add('GET', '/os-floating-ips', FI, 'schema', 'list_floating_ips', until=PROXY_MAX)
    add('POST', '/os-floating-ips', FI, 'schema', 'create_get_floating_ip', until=PROXY_MAX)
    add('GET', '/os-floating-ips/{floating_ip_id}', FI, 'schema', 'create_get_floating_ip', until=PROXY_MAX)
    add('DELETE', '/os-floating-ips/{floating_ip_id}', FI, 'schema', 'add_remove_floating_ip', until=PROXY_MAX)
    add('GET', '/os-floating-ip-pools', 'FloatingIPPoolsClient', 'schema', 'list_floating_ip_pools', until=PROXY_MAX)
    FB = 'FloatingIPsBulkClient'
    add('GET', '/os-floating-ips-bulk', FB, 'schema', 'list_floating_ips_bulk')
    add('POST', '/os-floating-ips-bulk', FB, 'schema', 'create_floating_ips_bulk')
    add('PUT', '/os-floating-ips-bulk/delete', FB, 'schema', 'delete_floating_ips_bulk')
    SG = 'SecurityGroupsClient'
    add('GET', '/os-security-groups', SG, 'schema', 'list_security_groups', until=PROXY_MAX)
    add('POST', '/os-security-groups', SG, 'schema', 'get_security_group', until=PROXY_MAX)
    add('GET', '/os-security-groups/{group_id}', SG, 'schema', 'get_security_group', until=PROXY_MAX)
    add('PUT', '/os-security-groups/{group_id}', SG, 'schema', 'update_security_group', until=PROXY_MAX)
    add('DELETE', '/os-security-groups/{group_id}', SG, 'schema', 'delete_security_group', until=PROXY_MAX)
    add('POST', '/os-security-group-rules', 'SecurityGroupRulesClient', 'schema', 'create_security_group_rule', until=PROXY_MAX)
    add('DELETE', '/os-security-group-rules/{rule_id}', 'SecurityGroupRulesClient', 'schema', 'delete_security_group_rule', until=PROXY_MAX)
    SD = 'SecurityGroupDefaultRulesClient'
    add('GET', '/os-security-group-default-rules', SD, 'schema', 'list_security_group_default_rules')
    add('POST', '/os-security-group-default-rules', SD, 'schema', 'create_get_security_group_default_rule')
    add('GET', '/os-security-group-default-rules/{rule_id}', SD, 'schema', 'create_get_security_group_default_rule')
    add('DELETE', '/os-security-group-default-rules/{rule_id}', SD, 'schema', 'delete_security_group_default_rule')
    add('GET', '/os-tenant-networks', 'TenantNetworksClient', 'tenant_networks', 'list_tenant_networks', until=PROXY_MAX)
    add('GET', '/os-tenant-networks/{network_id}', 'TenantNetworksClient', 'tenant_networks', 'get_tenant_network', until=PROXY_MAX)
    add('GET', '/os-fixed-ips/{fixed_ip}', 'FixedIPsClient', 'schema', 'get_fixed_ip')
    add('POST', '/os-fixed-ips/{fixed_ip}/action', 'FixedIPsClient', 'schema', 'reserve_unreserve_fixed_ip',
        actions=['reserve', 'unreserve'])
    add('GET', '/os-baremetal-nodes', 'BaremetalNodesClient', 'schema', 'list_baremetal_nodes', until=PROXY_MAX)
    add('GET', '/os-baremetal-nodes/{node_id}', 'BaremetalNodesClient', 'schema', 'get_baremetal_node', until=PROXY_MAX)

    # APIs Nova 26 removed (410 at every version) but Tempest still knows.
    add('GET', '/os-agents', 'AgentsClient', 'schema', 'list_agents')
    add('POST', '/os-agents', 'AgentsClient', 'schema', 'create_agent')
    add('PUT', '/os-agents/{agent_id}', 'AgentsClient', 'schema', 'update_agent')
    add('DELETE', '/os-agents/{agent_id}', 'AgentsClient', 'schema', 'delete_agent')
    add('GET', '/os-certificates/{certificate_id}', 'CertificatesClient', 'schema', 'get_certificate')
    add('POST', '/os-certificates', 'CertificatesClient', 'schema', 'create_certificate')
    add('GET', '/extensions', 'ExtensionsClient', 'schema', 'list_extensions')
    return r


ROUTES = _rows()

# Responses that are routes of ours with no Tempest client method (Stratus's own schemas).
STRATUS_ROUTES = [
    # POST /servers with return_reservation_id: Tempest's create_server returns it unvalidated.
    Route('POST', '/servers', 'Stratus', None, 'create_server_reservation'),
    Route('POST', '/os-aggregates/{aggregate_id}/images', 'Stratus', None, 'aggregate_cache_images', since='2.81'),
    Route('GET', '/servers/{server_id}/migrations', 'Stratus', None, 'server_migrations', since='2.23'),
    Route('GET', '/servers/{server_id}/migrations/{migration_id}', 'Stratus', None, 'server_migration', since='2.23'),
    Route('POST', '/servers/{server_id}/migrations/{migration_id}/action', 'Stratus', None, 'server_migration_accepted',
          action='force_complete', since='2.22'),
    Route('DELETE', '/servers/{server_id}/migrations/{migration_id}', 'Stratus', None, 'server_migration_accepted', since='2.24'),
]


def _key(method, path):
    """The method and the path below /v2.1 as the table writes it ('//…' for the version documents)."""
    if path in ('/', '/v2.1', '/v2.1/', '/v2', '/v2/', '/v2.0', '/v2.0/'):
        # The legacy v2 version document has the v2.1 one's shape (Tempest validates both with get_one_version).
        return method, '//' if path == '/' else '//v2.1'
    if path.startswith('/v2.1/'):
        path = path[len('/v2.1'):]
    if len(path) > 1 and path.endswith('/'):
        path = path[:-1]
    return method, path


def match(method, path, action, table=None):
    """The most specific route for a request, or None; a path match with an unknown action is
    reported through the second value (the action routes that did match the path)."""
    method, path = _key(method, path)
    candidates = [r for r in (table or ROUTES) if r.method == method and r.pattern.match(path)]
    if not candidates:
        return None, []
    best = max(r.specificity for r in candidates)
    candidates = [r for r in candidates if r.specificity == best]
    for r in candidates:
        if r.action == action or r.action is None:
            return r, candidates
    return None, candidates
