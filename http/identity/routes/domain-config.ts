import Router from '@koa/router';
import type { Context } from 'koa';
import { KeystoneError, notFound } from '../errors.js';
import { requireAdmin } from '../policy.js';
import { authenticate, type IdentityServices, type IdentityState } from '../services.js';

// The groups and options Keystone allows in a domain-specific configuration (its whitelisted and sensitive ones).
const ALLOWED: Record<string, readonly string[]> = {
  identity: ['driver', 'list_limit'],
  ldap: [
    'url',
    'user',
    'suffix',
    'query_scope',
    'page_size',
    'alias_dereferencing',
    'debug_level',
    'chase_referrals',
    'user_tree_dn',
    'user_filter',
    'user_objectclass',
    'user_id_attribute',
    'user_name_attribute',
    'user_mail_attribute',
    'user_description_attribute',
    'user_pass_attribute',
    'user_enabled_attribute',
    'user_enabled_invert',
    'user_enabled_mask',
    'user_enabled_default',
    'user_attribute_ignore',
    'user_default_project_id_attribute',
    'user_enabled_emulation',
    'user_enabled_emulation_dn',
    'user_enabled_emulation_use_group_config',
    'user_additional_attribute_mapping',
    'group_tree_dn',
    'group_filter',
    'group_objectclass',
    'group_id_attribute',
    'group_name_attribute',
    'group_members_are_ids',
    'group_member_attribute',
    'group_desc_attribute',
    'group_attribute_ignore',
    'group_additional_attribute_mapping',
    'tls_cacertfile',
    'tls_cacertdir',
    'use_tls',
    'tls_req_cert',
    'use_pool',
    'pool_size',
    'pool_retry_max',
    'pool_retry_delay',
    'pool_connection_timeout',
    'pool_connection_lifetime',
    'use_auth_pool',
    'auth_pool_size',
    'auth_pool_connection_lifetime',
    'password',
  ],
};
const READABLE_COMPLIANCE = ['password_regex', 'password_regex_description'];

const invalid = (reason: string) => new KeystoneError(403, `Invalid domain specific configuration: ${reason}.`);

/**
 * `/v3/domains/{id}/config`, answered as Keystone answers with no domain-specific configuration stored: every domain
 * uses the one identity backend, so reads find no options (404), and writes are refused (this cloud keeps no
 * per-domain drivers to configure). `security_compliance` reads the password rules, of which Stratus sets none.
 */
export function domainConfigRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3/domains' });

  const read = async (ctx: Context & { state: IdentityState; params: Record<string, string> }) => {
    const auth = await authenticate(s, ctx);
    const { id, group, option } = ctx.params;
    if (group === 'security_compliance') {
      // Anyone may read the password rules, of the default domain only.
      if (id !== 'default') {
        throw invalid('Reading security compliance information for any domain other than the default domain is not allowed or supported');
      }
      if (option && !READABLE_COMPLIANCE.includes(option)) {
        throw invalid('Reading security compliance values other than password_regex and password_regex_description is not allowed');
      }
      ctx.body = { config: Object.fromEntries((option ? [option] : READABLE_COMPLIANCE).map((o) => [o, null])) };
      return;
    }
    requireAdmin(auth);
    if (!(await s.directory.domain(id))) throw notFound('domain', id);
    checkGroupAndOption(group, option);
    const what = option ? `option ${option} in group ${group}` : group ? `group ${group}` : 'any options';
    throw new KeystoneError(404, `Could not find ${what} in domain configuration for domain ${id}.`);
  };
  const write = async (ctx: Context & { state: IdentityState; params: Record<string, string> }) => {
    requireAdmin(await authenticate(s, ctx));
    if (!(await s.directory.domain(ctx.params.id))) throw notFound('domain', ctx.params.id);
    checkGroupAndOption(ctx.params.group, ctx.params.option);
    if (ctx.method === 'DELETE') {
      const { group, option } = ctx.params;
      const what = option ? `option ${option} in group ${group}` : group ? `group ${group}` : 'any options';
      throw new KeystoneError(404, `Could not find ${what} in domain configuration for domain ${ctx.params.id}.`);
    }
    throw invalid('domain-specific identity drivers are not enabled in this cloud');
  };

  for (const path of ['/:id/config', '/:id/config/:group', '/:id/config/:group/:option']) {
    router.get(path, read);
    router.head(path, read);
    router.patch(path, write);
    router.delete(path, write);
  }
  router.put('/:id/config', write);
  return router;
}

function checkGroupAndOption(group: string | undefined, option: string | undefined): void {
  if (!group) return;
  if (!ALLOWED[group]) throw invalid(`Group ${group} is not supported for domain specific configurations`);
  if (option && !ALLOWED[group].includes(option))
    throw invalid(`Option ${option} in group ${group} is not supported for domain specific configurations`);
}
