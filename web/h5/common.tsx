import { useCallback, useEffect, useState } from 'react';
import { call, H5Error } from './api.ts';
import { errorKey, type T } from './i18n.ts';

export function ErrorView({ t, code }: { t: T; code: string }) {
  return (
    <div className="h5-page">
      <div className="h5-card h5-error" role="alert" data-testid="page-error" data-code={code}>{t(errorKey(code))}</div>
    </div>
  );
}

export function Toast({ text, onClose, t }: { text: string; onClose: () => void; t: T }) {
  return (
    <div className="h5-mask" onClick={onClose}>
      <div className="h5-toast" role="dialog" data-testid="toast" onClick={(e) => e.stopPropagation()}>
        <p>{text}</p>
        <button type="button" className="h5-btn" onClick={onClose}>{t('close')}</button>
      </div>
    </div>
  );
}

/** Loads the page data once (and again on `reload`); a failure becomes its error code. */
export function usePage<D>(token: string, path: string) {
  const [data, setData] = useState<D | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setData(await call<D>(token, 'GET', path));
      setError(null);
    } catch (err) {
      setError(err instanceof H5Error ? err.code : 'other');
    }
  }, [token, path]);
  useEffect(() => { void reload(); }, [reload]);
  return { data, error, reload };
}

export const codeOf = (err: unknown): string => (err instanceof H5Error ? err.code : 'other');
