import { useEffect, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import type { SegmentPreview } from '../api/types.ts';
import { useDebounced } from '../common/use-debounced.ts';
import type { LiveState } from './LiveCount.tsx';

export interface LivePreview {
  preview: SegmentPreview | null;
  state: LiveState;
  error: ApiError | Error | null;
}

/**
 * Counts the definition `delayMs` after the last edit (400 ms; SQL waits longer, a query can
 * take seconds). The answer is kept with the definition it counted, so while an edit is pending
 * or in flight the state is "pending", never a stale "ready".
 */
export function useLivePreview(definition: unknown, delayMs = 400): LivePreview {
  const json = definition ? JSON.stringify(definition) : null;
  const settled = useDebounced(json, delayMs);
  const [answer, setAnswer] = useState<{ json: string; preview: SegmentPreview | null; error: ApiError | Error | null } | null>(null);

  useEffect(() => {
    if (!settled) return undefined;
    const ctrl = new AbortController();
    api.post<SegmentPreview>('/v1/segments/preview', { definition: JSON.parse(settled) as unknown }, { signal: ctrl.signal })
      .then((preview) => setAnswer({ json: settled, preview, error: null }))
      .catch((err: unknown) => {
        if (ctrl.signal.aborted) return;
        setAnswer({ json: settled, preview: null, error: err instanceof Error ? err : new Error(String(err)) });
      });
    return () => ctrl.abort();
  }, [settled]);

  if (!json) return { preview: null, state: 'incomplete', error: null };
  if (!answer || answer.json !== json) return { preview: answer?.preview ?? null, state: 'pending', error: null };
  return answer.error ? { preview: null, state: 'error', error: answer.error } : { preview: answer.preview, state: 'ready', error: null };
}
