/**
 * What a cloud's data plane on one machine should be: computed by its caller from the cloud's tables, applied by
 * `reconcile`. Plain data, so that the drivers know nothing of where it came from.
 */
export interface DataPlanePlan {
  readonly cloudId: string;
  /** Where dnsmasq's files and pid files go (a folder of the state directory). */
  readonly stateDir: string;
  readonly networks: readonly NetworkPlan[];
  readonly ports: readonly PortPlan[];
  /** Every group a planned port is in or a planned rule names as its remote group. */
  readonly securityGroups: readonly SecurityGroupPlan[];
  /** Where the metadata service listens, and the file holding the secret its proxies sign with; absent: no proxies. */
  readonly metadata?: { readonly socketPath: string; readonly secretFile: string };
}

export interface NetworkPlan {
  readonly id: string;
  readonly mtu: number;
  /** The network's DHCP server (Neutron's `network:dhcp` port), absent when no subnet has DHCP. */
  readonly dhcp?: DhcpPlan;
}

export interface DhcpPlan {
  /** The DHCP port's MAC and addresses, each with its subnet. */
  readonly mac: string;
  readonly subnets: readonly DhcpSubnet[];
  /** The DNS domain instance host names are served under. */
  readonly domain: string;
  /** One static entry per port: no other address is ever handed out. */
  readonly hosts: readonly DhcpHost[];
}

export interface DhcpSubnet {
  readonly cidr: string;
  /** The DHCP port's address in this subnet. */
  readonly address: string;
  readonly gateway: string | null;
  readonly dnsNameservers: readonly string[];
}

export interface DhcpHost {
  readonly mac: string;
  readonly ip: string;
  readonly hostname: string;
}

export interface PortPlan {
  readonly id: string;
  readonly networkId: string;
  readonly mac: string;
  readonly ips: readonly string[];
  readonly allowedAddressPairs: readonly { readonly ip_address: string; readonly mac_address?: string }[];
  readonly portSecurity: boolean;
  readonly securityGroups: readonly string[];
  /**
   * `tap`: a persistent tap device the guest's hypervisor opens (libvirt's `type='ethernet'`, `managed='no'`).
   * `veth`: a veth pair whose other end is put in `guestNamespace` (tests and benchmarks stand it in for a guest).
   */
  readonly device: { readonly kind: 'tap' } | { readonly kind: 'veth'; readonly guestNamespace: string; readonly guestName: string };
}

export interface SecurityGroupPlan {
  readonly id: string;
  readonly rules: readonly SecurityGroupRulePlan[];
  /** The fixed addresses of every port in the group (wherever it runs): what a remote-group rule matches. */
  readonly members: readonly string[];
}

export interface SecurityGroupRulePlan {
  readonly direction: 'ingress' | 'egress';
  readonly ethertype: 'IPv4' | 'IPv6';
  readonly protocol: string | null;
  readonly portRangeMin: number | null;
  readonly portRangeMax: number | null;
  readonly remoteIpPrefix: string | null;
  readonly remoteGroupId: string | null;
}
