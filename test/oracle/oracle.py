"""The compute response oracle: checks each response Stratus's compute API sends against the
Tempest schema for its route and microversion, with Tempest's own code.

For each response it finds the Tempest client method that calls the route (routes.py), picks
that method's schema as the client does (get_schema over the class's schema_versions_info for
a VERSIONED row, the client's fixed module otherwise), applies Stratus's deltas for the
version (extensions.py) and calls rest_client.RestClient.validate_response, Tempest's
validator with its format checkers. Error responses are checked against Nova's fault shape.

One process per cloud, requests handled in turn. JSON lines on stdin/stdout:
  {"id", "method", "path", "action", "version", "status", "headers", "body"}
    -> {"id", "route", "schema", "ok": true}
     | {"id", "route", "schema", "violation": "..."}
     | {"id", "route", "unchecked": "why"}
  {"id", "op": "selfcheck"} -> {"id", "problems": [...], "routes": n}
A line {"ready": ...} is written once the imports are done.
"""

import copy
import importlib
import json
import re
import sys
import traceback
import warnings

warnings.simplefilter('ignore')

import jsonschema  # noqa: E402
from tempest.lib import exceptions  # noqa: E402
from tempest.lib.common import api_version_request, jsonschema_validator, rest_client  # noqa: E402
from tempest.lib.services.compute import base_compute_client  # noqa: E402

import extensions  # noqa: E402
import routes  # noqa: E402

SUCCESS = rest_client.HTTP_SUCCESS + rest_client.HTTP_REDIRECTION

# jsonschema.validate checks the schema against its metaschema on every call, most of the time
# a small response takes. The oracle's schemas are built once per route and version and kept,
# so each is checked once; the validation of the response itself is left as Tempest runs it.
_valid_schemas = {}
_check_schema = jsonschema_validator.JSONSCHEMA_VALIDATOR.check_schema


def _check_schema_once(cls, schema):
    if _valid_schemas.get(id(schema)) is not schema:
        _check_schema(schema)
        _valid_schemas[id(schema)] = schema


jsonschema_validator.JSONSCHEMA_VALIDATOR.check_schema = classmethod(_check_schema_once)
MAX_VERSION = '2.93'
MESSAGE_LIMIT = 400


def parse(version):
    return api_version_request.APIVersionRequest(version)


def within(version, since, until):
    v = parse(version)
    return (since is None or parse(since) <= v) and (until is None or v <= parse(until))


class Response(dict):
    """A response as tempest.lib.common.http hands it to validate_response."""

    def __init__(self, status, headers, path):
        super().__init__((str(k).lower(), v) for k, v in headers.items())
        self.status = status
        self['status'] = str(status)
        self['content-location'] = path


def tempest_module(route, version):
    client_module = importlib.import_module('tempest.lib.services.compute.' + routes.CLIENTS[route.client])
    if route.alias is not routes.VERSIONED:
        return getattr(client_module, route.alias)
    cls = getattr(client_module, route.client)
    # get_schema reads the module-wide microversion, as a Tempest test run sets it.
    base_compute_client.COMPUTE_MICROVERSION = version
    try:
        return cls.get_schema(None, cls.schema_versions_info)
    finally:
        base_compute_client.COMPUTE_MICROVERSION = None


_schemas = {}


def schema_for(route, version):
    """(schema, label) for a route at a version; schema None (label saying why) when there is none."""
    key = (id(route), version)
    if key in _schemas:
        return _schemas[key]
    if route.client == 'Stratus':
        schema = extensions.STRATUS_SCHEMAS[route.name]
        result = (schema(version) if callable(schema) else schema, 'stratus %s' % route.name)
    else:
        module = tempest_module(route, version)
        schema = getattr(module, route.name, None)
        if schema is None:
            result = (None, 'Tempest has no %s at %s' % (route.tempest, version))
        else:
            label = 'tempest %s (%s)' % (route.tempest, module.__name__.rsplit('.', 2)[-2])
            applied = [d for d in extensions.DELTAS
                       if d.client == route.client and route.name in d.names and within(version, d.since, None)]
            changed = []
            for delta in applied:
                before = schema
                schema = copy.deepcopy(schema)
                delta.apply(schema)
                # A delta restating what Tempest already says at this version is not named.
                if schema != before:
                    changed.append(delta.since)
            if changed:
                label += ' + stratus ' + ', '.join(changed)
            result = (schema, label)
    _schemas[key] = result
    return result


def describe(error, what):
    """A jsonschema error in one line: what failed and where."""
    where = '/'.join(str(p) for p in error.absolute_path) or '(top level)'
    message = error.message
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + '…'
    return '%s invalid at %s: %s' % (what, where, message)


def validate(schema, status, headers, body, path):
    """None if Tempest's validate_response accepts the response, else why not."""
    try:
        rest_client.RestClient.validate_response(schema, Response(status, headers, path), body)
    except (exceptions.InvalidHTTPResponseBody, exceptions.InvalidHTTPResponseHeader) as e:
        cause = e.__context__
        what = 'body' if isinstance(e, exceptions.InvalidHTTPResponseBody) else 'header'
        if isinstance(cause, jsonschema.ValidationError):
            return describe(cause, what)
        message = str(e)
        return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + '…'
    except exceptions.InvalidHttpSuccessCode:
        return 'status %d, Tempest expects %s' % (status, schema['status_code'])
    return None


_unknown_segment = re.compile(r'/(?:[0-9a-fA-F-]{32,36}|\d+)(?=/|$)')


def check(req):
    method, path, action, version = req['method'], req['path'], req.get('action'), req['version']
    status, headers, body = req['status'], req.get('headers') or {}, req.get('body')
    route, path_routes = routes.match(method, path, action)
    if (method == 'POST' and route is not None and route.template == '/servers'
            and isinstance(body, dict) and 'reservation_id' in body):
        route = routes.STRATUS_ROUTES[0]
    if route is None:
        route, _ = routes.match(method, path, action, routes.STRATUS_ROUTES)
    if route is None:
        label = path_routes[0].key.split(' [')[0] if path_routes else '%s %s' % (method, _unknown_segment.sub('/{id}', path))
        if status >= 400:
            return fault(label, status, body)
        why = 'action %r has no Tempest schema' % action if path_routes else 'no Tempest schema for this route'
        return {'route': label + (' [%s]' % action if path_routes else ''), 'unchecked': why}
    if status >= 400:
        return fault(route.key, status, body)
    if status in SUCCESS and not within(version, route.since, route.until):
        bounds = ('from %s' % route.since if route.since else '') + \
            (' up to %s' % route.until if route.until else '')
        return {'route': route.key, 'schema': 'nova 26.0.0 route versions',
                'violation': 'status %d at %s, but Nova serves this route only %s (404 otherwise)'
                % (status, version, bounds.strip())}
    schema, label = schema_for(route, version)
    if schema is None:
        return {'route': route.key, 'unchecked': label}
    violation = validate(schema, status, headers, body, path)
    return {'route': route.key, 'schema': label, **({'violation': violation} if violation else {'ok': True})}


def fault(label, status, body):
    schema, name = extensions.fault_schema(status, body)
    validator = jsonschema_validator.JSONSCHEMA_VALIDATOR(schema, format_checker=jsonschema_validator.FORMAT_CHECKER)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    result = {'route': label, 'schema': 'nova fault %s' % name}
    return {**result, 'violation': describe(error, 'fault body')} if error else {**result, 'ok': True}


def selfcheck():
    """Every row resolves to a schema at some version it is served at, and every delta applies."""
    problems = []
    versions = ['2.%d' % minor for minor in range(1, int(MAX_VERSION.split('.')[1]) + 1)]
    for route in routes.ROUTES + routes.STRATUS_ROUTES:
        served = [v for v in versions if within(v, route.since, route.until)]
        try:
            found = [v for v in served if schema_for(route, v)[0] is not None]
        except Exception as e:  # noqa: BLE001 - reported, not raised
            problems.append('%s: %s' % (route.key, e))
            continue
        if not found:
            problems.append('%s: %s at no version' % (route.key, route.tempest))
    for delta in extensions.DELTAS:
        for name in delta.names:
            matching = [r for r in routes.ROUTES if r.client == delta.client and r.name == name]
            if not matching:
                problems.append('delta %s: no route uses %s.%s' % (delta.why, delta.client, name))
    return {'problems': problems, 'routes': len(routes.ROUTES) + len(routes.STRATUS_ROUTES)}


def main():
    out = sys.stdout
    out.write(json.dumps({'ready': True, 'routes': len(routes.ROUTES)}) + '\n')
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            answer = selfcheck() if req.get('op') == 'selfcheck' else check(req)
        except Exception:  # noqa: BLE001 - the caller fails the response loudly
            answer = {'error': traceback.format_exc(limit=6)}
        answer['id'] = req.get('id')
        out.write(json.dumps(answer) + '\n')
        out.flush()


if __name__ == '__main__':
    main()
