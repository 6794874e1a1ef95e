// The optional allow-list of repositories (`owner/repo`) and organisations or users (`owner`).
// GitHub names are case-insensitive, so matching is too.

export interface AllowList {
  readonly restricted: boolean;
  allows(fullName: string): boolean;
}

export function createAllowList(entries: readonly string[]): AllowList {
  const repos = new Set<string>();
  const owners = new Set<string>();
  for (const raw of entries) {
    const entry = raw
      .trim()
      .toLowerCase()
      .replace(/\/\*?$/, '');
    if (entry === '') continue;
    if (entry.includes('/')) repos.add(entry);
    else owners.add(entry);
  }
  const restricted = repos.size + owners.size > 0;
  return {
    restricted,
    allows(fullName) {
      if (!restricted) return true;
      const name = fullName.toLowerCase();
      const owner = name.split('/', 1)[0] ?? '';
      return repos.has(name) || owners.has(owner);
    },
  };
}
