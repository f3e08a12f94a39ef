import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client.ts';
import type { Page, Segment } from '../api/types.ts';
import type { TypeLookup, ValueType } from './builder-model.ts';

/** Roles with the export right (docs/segments.md): they write SQL segments and export unmasked. */
export const canExport = (role: string) => role === 'admin' || role === 'analyst';

/** Shapes of the segment API the builder reads beyond api/types.ts (see docs/segments.md). */
export type SegmentKind = 'definition' | 'sql' | 'list';
export interface SegmentFull extends Segment {
  kind: SegmentKind;
  refreshAt: string;
}

export interface HistoryPoint {
  snapshotId: string;
  computedAt: string;
  count: number;
  reason: string;
}

export interface ListResult extends SegmentFull {
  matched: number;
  unknown: string[];
  unknownCount: number;
}

/** GET /v1/catalog: what the builder suggests (names, types, top values). */
export interface Catalog {
  attributes: { name: string; type: ValueType; source: string; topValues?: { value: string | boolean; count: number }[] }[];
  events: { name: string; count: number; lastSeenAt: string | null; properties: { name: string; type: ValueType }[] }[];
}

const emptyCatalog: Catalog = { attributes: [], events: [] };

export interface CatalogState {
  catalog: Catalog;
  types: TypeLookup;
  /** Top values of a string/boolean attribute, most frequent first. */
  topValues: (attr: string) => string[];
}

/** Loads the catalog once per page; until it answers (or when it fails) the builder asks for types itself. */
export function useCatalog(): CatalogState {
  const [catalog, setCatalog] = useState<Catalog>(emptyCatalog);
  useEffect(() => {
    const ctrl = new AbortController();
    api.get<Catalog>('/v1/catalog', ctrl.signal).then(setCatalog, () => undefined);
    return () => ctrl.abort();
  }, []);
  return useMemo(() => {
    const attrs = new Map(catalog.attributes.map((a) => [a.name, a]));
    const events = new Map(catalog.events.map((e) => [e.name, new Map(e.properties.map((p) => [p.name, p.type]))]));
    return {
      catalog,
      types: { attr: (n) => attrs.get(n)?.type, prop: (e, p) => events.get(e)?.get(p) },
      topValues: (n) => (attrs.get(n)?.topValues ?? []).map((v) => String(v.value)),
    };
  }, [catalog]);
}

/** Saved segments for references, set operations and lookalike seeds. */
export function useSegmentList(): SegmentFull[] {
  const [items, setItems] = useState<SegmentFull[]>([]);
  useEffect(() => {
    const ctrl = new AbortController();
    api.get<Page<SegmentFull>>('/v1/segments?limit=1000', ctrl.signal).then((p) => setItems(p.items), () => undefined);
    return () => ctrl.abort();
  }, []);
  return items;
}
