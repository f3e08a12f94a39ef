import { Alert, Button, Descriptions, Form, Input, Radio, Space, Statistic, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, api, type ErrorDetail } from '../api/client.ts';
import { toShownError } from '../common/api-errors.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { DefinitionErrors } from './DefinitionErrors.tsx';
import type { ListResult } from './segment-api.ts';

/** POST /v1/segments/upload: multipart (a `name` field and the CSV), which the JSON client does not send. */
async function uploadCsv(name: string, file: File): Promise<ListResult> {
  const body = new FormData();
  body.append('name', name);
  body.append('file', file, file.name);
  const res = await fetch('/v1/segments/upload', { method: 'POST', body, credentials: 'same-origin', headers: { accept: 'application/json' } });
  const text = await res.text();
  const json = (text ? JSON.parse(text) : {}) as ListResult & { error?: { code?: string; message?: string; details?: ErrorDetail[] } };
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? 'http_error', json.error?.message ?? `${res.status}`, json.error?.details ?? []);
  return json;
}

/** Pasted ids: one per line, or separated by commas, semicolons or spaces. */
export const parseIds = (text: string) => text.split(/[\s,;，；]+/).map((s) => s.trim()).filter((s) => s !== '');

/** A static list segment from a CSV file or pasted ids; unknown ids are shown, never dropped silently. */
export function ListUpload() {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [source, setSource] = useState<'csv' | 'paste'>('csv');
  const [file, setFile] = useState<File | null>(null);
  const [ids, setIds] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; details: ErrorDetail[] } | null>(null);
  const [result, setResult] = useState<ListResult | null>(null);
  const pasted = parseIds(ids);

  const submit = async () => {
    setError(null);
    setResult(null);
    if (!name.trim()) return setError({ message: t('list.nameRequired'), details: [] });
    if (source === 'csv' && !file) return setError({ message: t('list.fileRequired'), details: [] });
    if (source === 'paste' && pasted.length === 0) return setError({ message: t('list.idsRequired'), details: [] });
    setBusy(true);
    try {
      setResult(source === 'csv' && file ? await uploadCsv(name.trim(), file) : await api.post<ListResult>('/v1/segments/list', { name: name.trim(), externalIds: pasted }));
    } catch (err) {
      setError({ message: toShownError(err).message, details: err instanceof ApiError ? err.details : [] });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="list-form">
      <Typography.Text type="secondary">{t('list.help')}</Typography.Text>
      <Form.Item label={t('segments.name')} style={{ marginBottom: 8 }}>
        <Input value={name} onChange={(e) => setName(e.target.value)} style={{ maxWidth: 360 }} data-testid="list-name" />
      </Form.Item>
      <Radio.Group value={source} onChange={(e) => setSource(e.target.value as 'csv' | 'paste')} optionType="button" data-testid="list-source"
        options={[{ value: 'csv', label: t('list.csv') }, { value: 'paste', label: t('list.paste') }]} />
      {source === 'csv' ? (
        <Form.Item label={t('list.file')} extra={t('list.fileHelp')} style={{ marginBottom: 8 }}>
          <input type="file" accept=".csv,text/csv,text/plain" onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="list-file" />
        </Form.Item>
      ) : (
        <Form.Item label={t('list.ids')} extra={t('list.idsCount', { n: pasted.length })} style={{ marginBottom: 8 }}>
          <Input.TextArea value={ids} onChange={(e) => setIds(e.target.value)} autoSize={{ minRows: 5, maxRows: 16 }} data-testid="list-ids" />
        </Form.Item>
      )}
      <Button type="primary" onClick={() => void submit()} loading={busy} data-testid="list-submit">{t('list.create')}</Button>
      {error && (
        <>
          <Alert type="error" showIcon title={error.message} data-testid="list-error" />
          <DefinitionErrors details={error.details} testid="list-error-details" />
        </>
      )}
      {result && (
        <div data-testid="list-result">
          <Space size="large" wrap>
            <div data-testid="list-matched"><Statistic title={t('list.matched')} value={result.matched} /></div>
            <div data-testid="list-unknown-count"><Statistic title={t('list.unknownCount')} value={result.unknownCount} valueStyle={result.unknownCount ? { color: '#cf1322' } : undefined} /></div>
          </Space>
          <Descriptions size="small" column={1} style={{ marginTop: 8 }} items={[
            { key: 'seg', label: t('list.segment'), children: <Link to={`/segments/${result.id}`} data-testid="list-open">{result.name}</Link> },
            ...(result.unknown.length > 0 ? [{ key: 'unknown', label: t('list.unknown'), children: <Typography.Text data-testid="list-unknown" style={{ wordBreak: 'break-all' }}>{result.unknown.join(', ')}{result.unknownCount > result.unknown.length ? ' …' : ''}</Typography.Text> }] : []),
          ]} />
        </div>
      )}
    </Space>
  );
}
