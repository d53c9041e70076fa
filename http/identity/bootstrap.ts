import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Models } from '../../models/index.js';
import { readRow } from '../../models/typed.js';
import { replaceCloudPassword, writeCloudsYaml } from './clouds-yaml.js';
import { hashPassword } from './passwords.js';
import { newId } from './services.js';

export interface BootstrapOptions {
  readonly cloudsYaml: string;
  readonly authUrl: string;
  readonly adminPassword?: string;
  readonly demoPassword?: string;
}

const randomPassword = () => randomBytes(18).toString('base64url');

/**
 * The first start's identity: domain Default, roles admin ⊃ member ⊃ reader, projects admin,
 * service and demo, users admin (admin) and demo (member), and clouds.yaml for both.
 * Later starts find the Default domain and change nothing.
 */
export async function bootstrapIdentity(models: Models, options: BootstrapOptions, logger: Logger): Promise<boolean> {
  if (await models.Domain.findByPk('default')) return false;
  const now = new Date();
  const stamp = { created_at: now, updated_at: now };
  const adminPassword = options.adminPassword || randomPassword();
  const demoPassword = options.demoPassword || randomPassword();
  const roles = { admin: newId(), member: newId(), reader: newId() };
  const projects = { admin: newId(), service: newId(), demo: newId() };
  const users = { admin: newId(), demo: newId() };
  try {
    await models.Domain.sequelize!.transaction(async (transaction) => {
      await models.Domain.create({ id: 'default', name: 'Default', description: 'The default domain', enabled: true, ...stamp }, { transaction });
      await models.Role.bulkCreate(
        Object.entries(roles).map(([name, id]) => ({ id, name, description: null, ...stamp })),
        { transaction },
      );
      await models.ImpliedRole.bulkCreate(
        [
          { prior_role_id: roles.admin, implied_role_id: roles.member },
          { prior_role_id: roles.member, implied_role_id: roles.reader },
        ],
        { transaction },
      );
      await models.Project.bulkCreate(
        Object.entries(projects).map(([name, id]) => ({
          id,
          name,
          domain_id: 'default',
          parent_id: null,
          description: `Bootstrap project ${name}`,
          enabled: true,
          ...stamp,
        })),
        { transaction },
      );
      await models.User.bulkCreate(
        [
          {
            id: users.admin,
            name: 'admin',
            domain_id: 'default',
            default_project_id: projects.admin,
            enabled: true,
            password_hash: await hashPassword(adminPassword),
            ...stamp,
          },
          {
            id: users.demo,
            name: 'demo',
            domain_id: 'default',
            default_project_id: projects.demo,
            enabled: true,
            password_hash: await hashPassword(demoPassword),
            ...stamp,
          },
        ],
        { transaction },
      );
      await models.Assignment.bulkCreate(
        [
          { user_id: users.admin, target_type: 'project', target_id: projects.admin, role_id: roles.admin },
          { user_id: users.demo, target_type: 'project', target_id: projects.demo, role_id: roles.member },
        ],
        { transaction },
      );
    });
  } catch (error) {
    // Another node bootstrapped the same database at the same moment.
    if (await models.Domain.findByPk('default')) return false;
    throw error;
  }
  const written = writeCloudsYaml(options.cloudsYaml, options.authUrl, [
    { name: 'stratus', username: 'admin', password: adminPassword, project: 'admin' },
    { name: 'stratus-demo', username: 'demo', password: demoPassword, project: 'demo' },
  ]);
  logger.info(
    { cloudsYaml: options.cloudsYaml, written },
    written
      ? `identity bootstrapped; credentials written to ${options.cloudsYaml}`
      : `identity bootstrapped; ${options.cloudsYaml} already exists and was left alone`,
  );
  return true;
}

/** Sets a new admin password (for an operator who lost it) and rewrites the admin cloud in clouds.yaml. */
export async function resetAdminPassword(models: Models, options: BootstrapOptions, revokeUser: (id: string) => Promise<void>): Promise<void> {
  const admin = await readRow(models.User, { where: { name: 'admin', domain_id: 'default' } });
  if (!admin) throw new Error('there is no admin user: start the cloud once first');
  const password = options.adminPassword || randomPassword();
  await models.User.update({ password_hash: await hashPassword(password), enabled: true, updated_at: new Date() }, { where: { id: admin.id } });
  await revokeUser(admin.id);
  replaceCloudPassword(options.cloudsYaml, options.authUrl, { name: 'stratus', username: 'admin', password, project: 'admin' });
}
