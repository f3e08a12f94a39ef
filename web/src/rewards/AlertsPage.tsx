import { App, Button, Card, Form, Input, Segmented, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, query, request } from '../api/client.ts';
import type { Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useInterval } from '../common/use-interval.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { killTypes, type Alert, type KillSwitch, type KillType } from './types.ts';

const severityColor = { info: 'blue', warning: 'orange', critical: 'red' } as const;

/** Loss-monitor alerts (newest first, refreshed every 10 s) with acknowledge, and the kill switches: what is stopped now, stop something, lift a stop. */
export function AlertsPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [filter, setFilter] = useState<'open' | 'all'>('open');
  const alerts = useAsync(() => api.get<Page<Alert>>(`/v1/alerts${query({ limit: 200, acked: filter === 'open' ? 'false' : undefined })}`), [filter]);
  const kills = useAsync(() => api.get<Page<KillSwitch>>('/v1/kill-switches?limit=1000'), []);
  useInterval(() => void alerts.reload(), 10_000, true);
  const killedSet = new Set((kills.data?.items ?? []).map((k) => `${k.type}:${k.id}`));

  const run = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      await Promise.all([alerts.reload(), kills.reload()]);
    } catch (err) {
      message.error(toShownError(err).message);
    }
  };
  const kill = (type: string, id: string, reason?: string) => run(() => api.post('/v1/kill-switches', { type, id, ...(reason ? { reason } : {}) }));
  const lift = (type: string, id: string) => run(() => request('DELETE', `/v1/kill-switches/${type}/${encodeURIComponent(id)}`));

  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('rewards.alerts.title')}</Typography.Title></div>
      <ErrorAlert error={alerts.error ? toShownError(alerts.error) : null} />
      <Card style={{ marginBottom: 16 }} extra={<Segmented value={filter} onChange={(v) => setFilter(v as 'open' | 'all')} options={[{ value: 'open', label: t('rewards.alerts.open') }, { value: 'all', label: t('rewards.alerts.all') }]} />}>
        <Table<Alert>
          rowKey="id" size="small" loading={alerts.loading && !alerts.data} dataSource={alerts.data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }} data-testid="alerts-table"
          columns={[
            { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
            { title: t('rewards.alerts.severity'), dataIndex: 'severity', render: (v: Alert['severity']) => <Tag color={severityColor[v]}>{v}</Tag> },
            { title: t('rewards.alerts.kind'), dataIndex: 'kind' },
            { title: t('rewards.alerts.subject'), key: 'subject', render: (_: unknown, a) => <span>{a.subject.type} <Typography.Text code>{a.subject.id}</Typography.Text></span> },
            { title: t('rewards.alerts.message'), dataIndex: 'message' },
            {
              title: '', key: 'actions', render: (_: unknown, a) => (
                <Space>
                  {a.ackedAt ? <Tag>{t('rewards.alerts.acked')}</Tag> : <Button size="small" onClick={() => void run(() => api.post(`/v1/alerts/${a.id}/ack`))} data-testid="alert-ack">{t('rewards.alerts.ack')}</Button>}
                  {(killTypes as readonly string[]).includes(a.subject.type) && !killedSet.has(`${a.subject.type}:${a.subject.id}`)
                    ? <Button size="small" danger onClick={() => void kill(a.subject.type, a.subject.id, `alert ${a.id}: ${a.kind}`)} data-testid="alert-kill">{t('rewards.kill.stop')}</Button> : null}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <Card title={t('rewards.kill.title')}>
        <Typography.Paragraph type="secondary">{t('rewards.kill.help')}</Typography.Paragraph>
        <Form layout="inline" onFinish={(v: { type: KillType; id: string; reason?: string }) => void kill(v.type, v.id.trim(), v.reason)} style={{ marginBottom: 16 }} initialValues={{ type: 'coupon_template' }}>
          <Form.Item name="type"><Select style={{ width: 170 }} options={killTypes.map((k) => ({ value: k, label: t(`rewards.kill.type.${k}`) }))} /></Form.Item>
          <Form.Item name="id" rules={[{ required: true, message: t('common.required') }]}><Input placeholder="ID" style={{ width: 220 }} data-testid="kill-id" /></Form.Item>
          <Form.Item name="reason"><Input placeholder={t('rewards.budget.reason')} style={{ width: 220 }} /></Form.Item>
          <Button danger htmlType="submit" data-testid="kill-submit">{t('rewards.kill.stop')}</Button>
        </Form>
        <Table<KillSwitch>
          rowKey={(k) => `${k.type}:${k.id}`} size="small" dataSource={kills.data?.items ?? []} pagination={false} data-testid="kill-table"
          columns={[
            { title: t('rewards.alerts.subject'), key: 'subject', render: (_: unknown, k) => <span>{t(`rewards.kill.type.${k.type as KillType}`)} <Typography.Text code>{k.id}</Typography.Text></span> },
            { title: t('rewards.budget.reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '—' },
            { title: t('rewards.budget.actor'), dataIndex: 'createdBy' },
            { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
            { title: '', key: 'lift', render: (_: unknown, k) => <Button size="small" onClick={() => void lift(k.type, k.id)}>{t('rewards.kill.lift')}</Button> },
          ]}
        />
      </Card>
    </>
  );
}
