import { DownloadOutlined } from '@ant-design/icons';
import { Alert, Button, Checkbox, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { requestFile } from '../api/client.ts';
import { toShownError } from '../common/api-errors.ts';
import { saveBlob } from '../common/download.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { MessageKey } from '../i18n/en-US.ts';
import { useMe } from '../layout/me-context.ts';
import { canExport, useCatalog } from './segment-api.ts';

const baseFields = ['externalId', 'phone', 'email', 'platform', 'createdAt'] as const;

/** Splits one CSV line (quoted cells with "" escapes) for the on-page preview. */
function csvCells(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cell); cell = ''; } else cell += c;
  }
  out.push(cell);
  return out;
}

/**
 * Export the current snapshot as CSV with chosen fields. Roles without the export right get
 * phone and email masked by the API (x-masked header); the card says so before and after.
 */
export function ExportCard({ segmentId, segmentName }: { segmentId: string; segmentName: string }) {
  const { t } = useI18n();
  const { me } = useMe();
  const { catalog } = useCatalog();
  const [fields, setFields] = useState<string[]>(['externalId', 'phone', 'email']);
  const [attrs, setAttrs] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ rows: number; masked: boolean; header: string[]; sample: string[][] } | null>(null);
  const willMask = !canExport(me.role);
  const chosen = [...fields, ...attrs.map((a) => `attr.${a}`)];

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const { blob, headers } = await requestFile(`/v1/segments/${segmentId}/export?fields=${encodeURIComponent(chosen.join(','))}`);
      const lines = (await blob.text()).split(/\r?\n/).filter((l) => l !== '');
      setDone({ rows: Math.max(0, lines.length - 1), masked: headers.get('x-masked') === 'true', header: csvCells(lines[0] ?? ''), sample: lines.slice(1, 6).map(csvCells) });
      saveBlob(blob, `${segmentName.replace(/[^\w\u4e00-\u9fff-]+/g, '_') || segmentId}.csv`);
    } catch (err) {
      setError(toShownError(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="export-card">
      <div data-testid="export-fields">
        <Checkbox.Group value={fields} onChange={(v) => setFields(v as string[])} options={baseFields.map((f) => ({ value: f, label: t(`export.field.${f}` as MessageKey) }))} />
      </div>
      <Space wrap>
        <span>{t('export.attributes')}</span>
        <Select mode="multiple" value={attrs} onChange={(v: string[]) => setAttrs(v)} style={{ minWidth: 260 }} data-testid="export-attrs"
          options={catalog.attributes.filter((a) => a.source !== 'builtIn').map((a) => ({ value: a.name, label: a.name }))} />
      </Space>
      <Alert type={willMask ? 'warning' : 'info'} showIcon data-testid="export-mask-note" data-masked={String(willMask)}
        title={willMask ? t('export.willMask', { role: t(`role.${me.role}`) }) : t('export.noMask', { role: t(`role.${me.role}`) })} />
      <Button icon={<DownloadOutlined />} onClick={() => void run()} loading={busy} disabled={chosen.length === 0} data-testid="export-button">{t('export.button')}</Button>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      {done && (
        <div data-testid="export-result" data-rows={done.rows} data-masked={String(done.masked)}>
          <Typography.Text>{t(done.masked ? 'export.doneMasked' : 'export.done', { n: done.rows })}</Typography.Text>
          <Table size="small" pagination={false} style={{ marginTop: 8 }} rowKey={(_, i) => String(i)} scroll={{ x: true }}
            dataSource={done.sample.map((r) => Object.fromEntries(done.header.map((h, i) => [h, r[i] ?? ''])))}
            columns={done.header.map((h) => ({ title: h, dataIndex: h, key: h }))} />
        </div>
      )}
    </Space>
  );
}
