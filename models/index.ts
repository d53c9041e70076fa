import type { Sequelize } from 'sequelize';
import * as actorRecord from './runtime/actor-record.js';
import * as outbox from './runtime/outbox.js';
import * as inbox from './runtime/inbox.js';
import * as deadLetter from './runtime/dead-letter.js';
import * as actorCrash from './runtime/actor-crash.js';
import * as clusterNode from './runtime/cluster-node.js';
import * as operatorAudit from './runtime/operator-audit.js';
import * as instance from './instance.js';
import * as host from './host.js';
import * as network from './network.js';
import * as volume from './volume.js';
import * as scheduler from './scheduler.js';
import * as dataplane from './dataplane.js';
import * as console from './console.js';
import * as consoleAuthToken from './console-auth-token.js';
import * as domain from './identity/domain.js';
import * as project from './identity/project.js';
import * as user from './identity/user.js';
import * as role from './identity/role.js';
import * as assignment from './identity/assignment.js';
import * as tokenState from './identity/token-state.js';
import * as ec2 from './identity/ec2-credential.js';
import * as catalog from './identity/catalog.js';
import * as group from './identity/group.js';
import * as applicationCredential from './identity/application-credential.js';
import * as limit from './identity/limit.js';
import * as image from './images/image.js';
import * as imageTask from './images/task.js';
import * as metadef from './images/metadef.js';
import * as flavor from './flavor.js';
import * as quota from './quota.js';
import * as quotaReservation from './quota-reservation.js';
import * as keypair from './keypair.js';
import * as instanceAction from './instance-action.js';
import * as migration from './migration.js';
import * as serverGroup from './server-group.js';
import * as aggregate from './aggregate.js';
import * as ec2Id from './ec2-id.js';
import * as neutronNetwork from './neutron/network.js';
import * as neutronSubnet from './neutron/subnet.js';
import * as neutronPort from './neutron/port.js';
import * as neutronSecurityGroup from './neutron/security-group.js';
import * as neutronRouter from './neutron/router.js';
import * as instancePort from './instance-port.js';

/** Defines every model on one connection; models are per connection so several databases can be open at once. */
export function defineModels(sequelize: Sequelize) {
  return {
    ActorRecord: actorRecord.define(sequelize),
    Outbox: outbox.define(sequelize),
    Inbox: inbox.define(sequelize),
    DeadLetter: deadLetter.define(sequelize),
    ActorCrash: actorCrash.define(sequelize),
    ClusterNode: clusterNode.define(sequelize),
    OperatorAudit: operatorAudit.define(sequelize),
    Instance: instance.define(sequelize),
    Host: host.define(sequelize),
    Network: network.define(sequelize),
    Volume: volume.define(sequelize),
    Scheduler: scheduler.define(sequelize),
    DataPlane: dataplane.define(sequelize),
    Console: console.define(sequelize),
    ConsoleAuthToken: consoleAuthToken.define(sequelize),
    Domain: domain.define(sequelize),
    Project: project.define(sequelize),
    User: user.define(sequelize),
    Role: role.define(sequelize),
    ImpliedRole: role.defineImplied(sequelize),
    Assignment: assignment.define(sequelize),
    SigningKey: tokenState.defineKeys(sequelize),
    Revocation: tokenState.defineRevocations(sequelize),
    Ec2Credential: ec2.define(sequelize),
    Region: catalog.defineRegions(sequelize),
    CatalogService: catalog.defineServices(sequelize),
    Endpoint: catalog.defineEndpoints(sequelize),
    CatalogSeed: catalog.defineSeeds(sequelize),
    Group: group.define(sequelize),
    GroupMember: group.defineMembers(sequelize),
    GroupAssignment: group.defineAssignments(sequelize),
    ApplicationCredential: applicationCredential.define(sequelize),
    RegisteredLimit: limit.defineRegistered(sequelize),
    Limit: limit.define(sequelize),
    ...image.define(sequelize),
    ...imageTask.define(sequelize),
    ...metadef.define(sequelize),
    Flavor: flavor.define(sequelize),
    FlavorExtraSpec: flavor.defineExtraSpecs(sequelize),
    FlavorProject: flavor.defineProjects(sequelize),
    Quota: quota.define(sequelize),
    UserQuota: quota.defineUserQuotas(sequelize),
    QuotaClass: quota.defineClasses(sequelize),
    QuotaReservation: quotaReservation.define(sequelize),
    KeyPair: keypair.define(sequelize),
    ...instanceAction.define(sequelize),
    Migration: migration.define(sequelize),
    ServerGroup: serverGroup.define(sequelize),
    ServerGroupMember: serverGroup.defineMembers(sequelize),
    Aggregate: aggregate.define(sequelize),
    AggregateHost: aggregate.defineHosts(sequelize),
    InstanceIdMapping: ec2Id.defineInstanceIds(sequelize),
    S3Image: ec2Id.defineImageIds(sequelize),
    NeutronNetwork: neutronNetwork.define(sequelize),
    NeutronQuota: neutronNetwork.defineQuotas(sequelize),
    NeutronSubnet: neutronSubnet.define(sequelize),
    ...neutronPort.define(sequelize),
    ...neutronSecurityGroup.define(sequelize),
    ...neutronRouter.define(sequelize),
    InstancePort: instancePort.define(sequelize),
  };
}

export type Models = ReturnType<typeof defineModels>;

export type { ActorRecordRow } from './runtime/actor-record.js';
export type { OutboxRow } from './runtime/outbox.js';
export type { InboxRow } from './runtime/inbox.js';
export type { DeadLetterRow } from './runtime/dead-letter.js';
export type { ActorCrashRow } from './runtime/actor-crash.js';
export type { ClusterNodeRow } from './runtime/cluster-node.js';
export type { OperatorAuditRow } from './runtime/operator-audit.js';
export type { InstanceRow, InstanceCreation } from './instance.js';
export type { HostRow } from './host.js';
export type { InstancePortRow } from './instance-port.js';
export type { NetworkRow } from './network.js';
export type { VolumeRow } from './volume.js';
export type { SchedulerRow } from './scheduler.js';
export type { DataPlaneRow } from './dataplane.js';
export type { ConsoleRow } from './console.js';
export type { ConsoleAuthTokenRow } from './console-auth-token.js';
export type { DomainRow } from './identity/domain.js';
export type { ProjectRow } from './identity/project.js';
export type { UserRow } from './identity/user.js';
export type { RoleRow, ImpliedRoleRow } from './identity/role.js';
export type { AssignmentRow } from './identity/assignment.js';
export type { SigningKeyRow, RevocationRow } from './identity/token-state.js';
export type { Ec2CredentialRow } from './identity/ec2-credential.js';
export type { RegionRow, ServiceRow, EndpointRow, CatalogSeedRow } from './identity/catalog.js';
export type { GroupRow, GroupMemberRow, GroupAssignmentRow } from './identity/group.js';
export type { ApplicationCredentialRow } from './identity/application-credential.js';
export type { RegisteredLimitRow, LimitRow } from './identity/limit.js';
export type { ImageRow, ImagePropertyRow, ImageTagRow, ImageMemberRow } from './images/image.js';
export type { ImageTaskRow } from './images/task.js';
export type { MetadefNamespaceRow, MetadefResourceTypeRow, MetadefEntryRow } from './images/metadef.js';
export type { FlavorRow, FlavorExtraSpecRow, FlavorProjectRow } from './flavor.js';
export type { QuotaRow } from './quota.js';
export type { QuotaReservationRow } from './quota-reservation.js';
export type { KeyPairRow } from './keypair.js';
export type { InstanceActionRow, InstanceActionEventRow } from './instance-action.js';
export type { MigrationRow } from './migration.js';
export type { ServerGroupRow, ServerGroupMemberRow } from './server-group.js';
export type { AggregateRow, AggregateHostRow } from './aggregate.js';
export type { NeutronNetworkRow, NeutronQuotaRow } from './neutron/network.js';
export type { NeutronSubnetRow } from './neutron/subnet.js';
export type { NeutronPortRow, NeutronIpAllocationRow } from './neutron/port.js';
export type { NeutronSecurityGroupRow, NeutronSecurityGroupRuleRow, NeutronDefaultSecurityGroupRow } from './neutron/security-group.js';
export type { NeutronRouterRow, NeutronFloatingIpRow, NeutronAutoAllocatedTopologyRow } from './neutron/router.js';
