/** One of an application credential's access rules: the only requests its tokens may make to other services. */
export interface AccessRule {
  readonly service?: string;
  readonly method?: string;
  readonly path?: string;
}

// A rule's path is a template: `*` stands for one path segment, `**` for any number of them (keystonemiddleware's).
const compiled = new Map<string, RegExp>();
function template(path: string): RegExp {
  let re = compiled.get(path);
  if (!re) {
    const body = path
      .split('/')
      .map((segment) => (segment === '**' ? '.*' : segment === '*' ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    if (compiled.size >= 1_000) compiled.clear();
    compiled.set(path, (re = new RegExp(`^${body}/?$`)));
  }
  return re;
}

/**
 * Whether a token limited to these access rules may make this request to this service (by catalog type); a
 * token with none (or no application credential) is not limited.
 */
export function permits(rules: readonly AccessRule[] | undefined, service: string, method: string, path: string): boolean {
  if (!rules?.length) return true;
  return rules.some((r) => r.service === service && r.method === method && r.path !== undefined && template(r.path).test(path));
}
