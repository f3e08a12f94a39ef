import type { Platform } from '../platform/context.ts';
import { builtInAttributeTypes, type ValueType } from './attribute-types.ts';
import * as attributes from './attributes.service.ts';
import * as repo from './catalog.repo.ts';
import type { CatalogView } from './catalog.schema.ts';

/**
 * What the segment builder offers: attributes with types and frequent values, events with
 * counts and property types.
 *
 * Cost is bounded on a workspace of any size. Names, types and event counts are kept at
 * ingest (attribute_types, event_property_types, event_counts), so listing them reads a few
 * hundred rows. Top values are the one thing not kept at ingest: an exact count per value would
 * need the old value of every attribute on every upsert (a read per row on the hottest write
 * path), so they are counted over a bounded sample of profiles instead — approximate, and said so.
 */
const SAMPLE = 10_000;
const TOP = 10;

/** The catalog of one workspace, read in a bounded number of small queries. */
export async function catalog(p: Platform, workspaceId: string): Promise<CatalogView> {
  const [types, stored, counts, props, top, sampled] = await Promise.all([
    attributes.attributeTypes(p.db, workspaceId),
    attributes.listAttributes(p, workspaceId, 10_000),
    repo.eventCounts(p.db, workspaceId),
    attributes.allEventPropertyTypes(p.db, workspaceId),
    repo.topAttributeValues(p.db, workspaceId, SAMPLE, TOP),
    repo.sampledUsers(p.db, workspaceId, SAMPLE),
  ]);
  const topByName = new Map<string, { value: string | boolean; count: number }[]>();
  for (const t of top) {
    const type = types.get(t.name);
    if (!((type === 'string' && typeof t.value === 'string') || (type === 'boolean' && typeof t.value === 'boolean'))) continue;
    const list = topByName.get(t.name) ?? [];
    list.push({ value: t.value, count: t.n });
    topByName.set(t.name, list);
  }
  const wantsTop = (type: ValueType, name: string) => (type === 'string' || type === 'boolean') && (!builtInAttributeTypes.has(name) || name === 'platform');
  const countOf = new Map(counts.map((c) => [c.name, c]));
  const eventNames = [...new Set([...countOf.keys(), ...props.keys()])].sort();
  return {
    attributes: stored.items.map((a) => ({ ...a, ...(wantsTop(a.type, a.name) ? { topValues: topByName.get(a.name) ?? [] } : {}) })),
    events: eventNames.map((name) => {
      const c = countOf.get(name);
      return {
        name,
        count: Number(c?.count ?? 0),
        lastSeenAt: c?.lastSeenAt ? new Date(c.lastSeenAt as Date | string).toISOString() : null,
        properties: [...(props.get(name) ?? new Map<string, ValueType>())].map(([n, type]) => ({ name: n, type })),
      };
    }),
    sample: { users: sampled, limit: SAMPLE },
  };
}
