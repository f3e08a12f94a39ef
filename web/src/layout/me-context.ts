import { createContext, useContext } from 'react';
import type { Me } from '../api/types.ts';

export interface MeState {
  me: Me;
  reloadMe: () => Promise<void>;
}

export const MeContext = createContext<MeState | null>(null);

/** Who is signed in (GET /v1/me), available inside the layout. */
export function useMe(): MeState {
  const ctx = useContext(MeContext);
  if (!ctx) throw new Error('useMe outside AppLayout');
  return ctx;
}
