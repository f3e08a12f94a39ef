import { createContext, useContext } from 'react';
import type { NodeErrors } from './builder-model.ts';
import type { CatalogState, SegmentFull } from './segment-api.ts';

/** What every row of the builder reads: the catalog, saved segments, and the errors per node. */
export interface BuilderContextValue extends CatalogState {
  segments: SegmentFull[];
  errors: NodeErrors;
}

export const BuilderContext = createContext<BuilderContextValue | null>(null);

export function useBuilder(): BuilderContextValue {
  const ctx = useContext(BuilderContext);
  if (!ctx) throw new Error('useBuilder outside BuilderContext');
  return ctx;
}
