/**
 * The host CPU as Nova's libvirt driver reports it in cpu_info, read from the capabilities XML's <host><cpu>:
 * arch, model, vendor, topology and feature names (sorted, as Nova's set comes out in no fixed order).
 */
export function cpuInfoOf(capabilities: string): Record<string, unknown> {
  const cpu = /<host>[\s\S]*?<cpu>([\s\S]*?)<\/cpu>/.exec(capabilities)?.[1] ?? '';
  const text = (tag: string) => new RegExp(`<${tag}[^>]*>([^<]*)</${tag}>`).exec(cpu)?.[1]?.trim();
  const attr = (name: string) => Number(new RegExp(`<topology[^>]*\\b${name}='(\\d+)'`).exec(cpu)?.[1] ?? 0);
  const features = [...cpu.matchAll(/<feature[^>]*\bname='([^']+)'/g)].map((m) => m[1]).sort();
  const cells = Number(/<cells num='(\d+)'/.exec(capabilities)?.[1] ?? 1);
  return {
    arch: text('arch') ?? 'x86_64',
    model: text('model') ?? '',
    vendor: text('vendor') ?? '',
    topology: { cells, sockets: attr('sockets'), cores: attr('cores'), threads: attr('threads') },
    features,
  };
}
