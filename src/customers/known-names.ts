/**
 * Names (attributes, event properties) this process knows already have a stored type, per
 * workspace, so an ingest batch asks the database only about names it has not seen. Type rows
 * are never deleted, so a remembered name is never wrong; the TTL and the workspace cap only
 * bound memory. Add names only after the transaction that stored them has committed.
 */
export class KnownNames {
  private readonly byWorkspace = new Map<string, { names: Set<string>; expiresAt: number }>();

  constructor(private readonly ttlMs = 60_000, private readonly maxWorkspaces = 10_000, private readonly maxNamesPerWorkspace = 50_000) {}

  /** The names of `candidates` not known for the workspace. */
  unknown(workspaceId: string, candidates: Iterable<string>): string[] {
    const entry = this.live(workspaceId);
    const out: string[] = [];
    for (const c of candidates) if (!entry?.names.has(c)) out.push(c);
    return out;
  }

  add(workspaceId: string, names: Iterable<string>): void {
    let entry = this.live(workspaceId);
    if (!entry) {
      if (this.byWorkspace.size >= this.maxWorkspaces) this.byWorkspace.delete(this.byWorkspace.keys().next().value!);
      entry = { names: new Set(), expiresAt: Date.now() + this.ttlMs };
      this.byWorkspace.set(workspaceId, entry);
    }
    for (const n of names) if (entry.names.size < this.maxNamesPerWorkspace) entry.names.add(n);
  }

  private live(workspaceId: string) {
    const entry = this.byWorkspace.get(workspaceId);
    if (entry && entry.expiresAt <= Date.now()) {
      this.byWorkspace.delete(workspaceId);
      return undefined;
    }
    return entry;
  }
}
