import { Alert } from 'antd';
import type { ShownError } from './api-errors.ts';

/** The API error message, with the details that belong to no form field listed below it. */
export function ErrorAlert({ error, onClose }: { error: ShownError | null; onClose?: () => void }) {
  if (!error) return null;
  const description = error.unmatched.length > 0
    ? <ul style={{ margin: 0, paddingInlineStart: 18 }}>{error.unmatched.map((d) => <li key={`${d.path}:${d.message}`}><code>{d.path}</code>: {d.message}</li>)}</ul>
    : undefined;
  return <Alert type="error" showIcon title={error.message} description={description} closable={onClose ? { onClose } : undefined} style={{ marginBottom: 16 }} data-testid="error-alert" />;
}
