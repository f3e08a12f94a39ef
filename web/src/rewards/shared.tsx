import { CopyOutlined, StopOutlined } from '@ant-design/icons';
import { App, Button, Card, Form, Input, InputNumber, Popconfirm, Popover, Space, Typography } from 'antd';
import { useState } from 'react';
import { api, request } from '../api/client.ts';
import { toShownError, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatTime } from '../common/dates.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { H5Link, KillType } from './types.ts';

/** `0.1234` → `12.34%` (probabilities are shown as percentages everywhere). */
export function pct(p: number): string {
  const v = p * 100;
  if (v === 0) return '0%';
  return `${v >= 1 ? Number(v.toFixed(2)) : Number(v.toPrecision(2))}%`;
}

/** A horizontal bar funnel: each bar is its share of the first step; the % is the rate from the step before (granted of stock, redeemed of granted). */
export function Funnel({ steps }: { steps: { key: string; label: string; value: number }[] }) {
  const top = Math.max(1, steps[0]?.value ?? 1);
  return (
    <div data-testid="funnel">
      {steps.map((s, i) => (
        <div key={s.key} style={{ display: 'grid', gridTemplateColumns: '120px 1fr 140px', alignItems: 'center', gap: 12, margin: '6px 0' }} data-testid={`funnel-${s.key}`} data-value={s.value}>
          <Typography.Text>{s.label}</Typography.Text>
          <div style={{ background: '#f5f5f5', borderRadius: 4, height: 22 }}>
            <div style={{ width: `${Math.min(100, (100 * s.value) / top)}%`, background: ['#1677ff', '#52c41a', '#faad14', '#bfbfbf'][i % 4], height: '100%', borderRadius: 4, minWidth: s.value > 0 ? 2 : 0 }} />
          </div>
          <Typography.Text strong>{s.value.toLocaleString()}{i > 0 && steps[i - 1]!.value > 0 ? <Typography.Text type="secondary"> · {pct(s.value / steps[i - 1]!.value)}</Typography.Text> : null}</Typography.Text>
        </div>
      ))}
    </div>
  );
}

/** Issue a signed H5 page link for one user (POST /v1/h5/links) and show it to copy. */
export function H5LinkCard({ page, pageId, campaignId }: { page: 'coupon' | 'lottery'; pageId: string; campaignId: string | null }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [link, setLink] = useState<H5Link | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const issue = async (v: { externalId: string }) => {
    setBusy(true);
    try {
      setLink(await api.post<H5Link>('/v1/h5/links', { externalId: v.externalId, ...(page === 'coupon' ? { couponTemplateId: pageId } : { lotteryId: pageId }), ...(campaignId ? { campaignId } : {}) }));
      setError(null);
    } catch (err) {
      setError(toShownError(err));
    } finally {
      setBusy(false);
    }
  };
  const copy = (s: string) => void navigator.clipboard?.writeText(s).then(() => message.success(t('rewards.copied')), () => undefined);
  return (
    <Card title={t('rewards.h5.title')} size="small">
      <Typography.Paragraph type="secondary">{t('rewards.h5.help')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Form layout="inline" onFinish={(v: { externalId: string }) => void issue(v)}>
        <Form.Item name="externalId" rules={[{ required: true, message: t('common.required') }]}>
          <Input placeholder={t('rewards.externalId')} data-testid="h5-external-id" />
        </Form.Item>
        <Button htmlType="submit" type="primary" loading={busy} data-testid="h5-issue">{t('rewards.h5.issue')}</Button>
      </Form>
      {link ? (
        <Space direction="vertical" style={{ marginTop: 12, width: '100%' }}>
          <Space><Typography.Text strong>{t('rewards.h5.short')}</Typography.Text><a href={link.shortUrl} target="_blank" rel="noreferrer" data-testid="h5-short-url">{link.shortUrl}</a><Button size="small" icon={<CopyOutlined />} onClick={() => copy(link.shortUrl)} /></Space>
          <Typography.Text type="secondary" ellipsis style={{ maxWidth: '100%' }}>{link.url}</Typography.Text>
          <Typography.Text type="secondary">{t('rewards.h5.expires', { at: formatTime(link.expiresAt, lang) })}</Typography.Text>
        </Space>
      ) : null}
    </Card>
  );
}

/** The kill switch of one subject: stops grants/draws at once (approver or admin). */
export function KillButton({ type, id, killed, onChange }: { type: KillType; id: string; killed: boolean; onChange: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const act = async () => {
    try {
      if (killed) await request('DELETE', `/v1/kill-switches/${type}/${encodeURIComponent(id)}`);
      else await api.post('/v1/kill-switches', { type, id, reason: 'console' });
      onChange();
    } catch (err) {
      message.error(toShownError(err).message);
    }
  };
  return (
    <Popconfirm title={killed ? t('rewards.kill.liftConfirm') : t('rewards.kill.confirm')} onConfirm={() => void act()}>
      <Button danger={!killed} icon={<StopOutlined />} data-testid="kill-switch">{killed ? t('rewards.kill.lift') : t('rewards.kill.stop')}</Button>
    </Popconfirm>
  );
}

/** "Add stock": raises a stock by N (the caller PATCHes current + N); the counters see the new limit on the next grant or draw. */
export function StockTopUp({ current, onAdd, testId }: { current: number; onAdd: (total: number) => Promise<void>; testId?: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [n, setN] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!n) return;
    setBusy(true);
    try {
      await onAdd(current + n);
      setOpen(false);
      setN(null);
    } catch (err) {
      message.error(toShownError(err).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Popover open={open} onOpenChange={setOpen} trigger="click" content={
      <Space>
        <InputNumber min={1} value={n} onChange={(v) => setN(typeof v === 'number' ? v : null)} placeholder="+" data-testid={testId ? `${testId}-amount` : undefined} />
        <Button type="primary" loading={busy} onClick={() => void submit()} data-testid={testId ? `${testId}-submit` : undefined}>{t('rewards.stock.add')}</Button>
      </Space>
    }>
      <Button size="small" data-testid={testId}>{t('rewards.stock.topUp')}</Button>
    </Popover>
  );
}
