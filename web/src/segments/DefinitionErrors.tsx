import { Alert } from 'antd';
import type { ErrorDetail } from '../api/client.ts';

/** The API's 400 details about a definition, path by path, beside the field that holds it. */
export function DefinitionErrors({ details, testid }: { details: ErrorDetail[]; testid: string }) {
  if (details.length === 0) return null;
  return (
    <Alert
      type="error" showIcon style={{ marginTop: 8 }} data-testid={testid}
      title={<ul style={{ margin: 0, paddingLeft: 16 }}>{details.map((d, i) => <li key={i}><code>{d.path}</code>: {d.message}</li>)}</ul>}
    />
  );
}
