import { App, Button, Card, Form, InputNumber, Segmented, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, query, request } from '../api/client.ts';
import type { Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';
import type { H5Link } from './types.ts';

interface Settings { perIpPerMinute: number; perDevicePerMinute: number; updatedAt: string | null }

/** H5 reward pages: the links issued (newest first) and the public rate limits per IP and per device (docs/h5.md). */
export function H5Page() {
  const { t, lang } = useI18n();
  const { me } = useMe();
  const { message } = App.useApp();
  const [kind, setKind] = useState<'all' | 'coupon' | 'lottery'>('all');
  const links = useAsync(() => api.get<Page<H5Link>>(`/v1/h5/links${query({ limit: 200, page: kind === 'all' ? undefined : kind })}`), [kind]);
  const settings = useAsync(() => api.get<Settings>('/v1/h5/settings'), []);
  const [form] = Form.useForm<Settings>();
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (settings.data) form.setFieldsValue(settings.data); }, [settings.data, form]);

  const save = async (v: Settings) => {
    setBusy(true);
    try {
      await request('PUT', '/v1/h5/settings', { perIpPerMinute: v.perIpPerMinute, perDevicePerMinute: v.perDevicePerMinute });
      message.success(t('rewards.h5page.saved'));
      await settings.reload();
    } catch (err) {
      message.error(toShownError(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('rewards.h5page.title')}</Typography.Title></div>
      <ErrorAlert error={links.error ? toShownError(links.error) : settings.error ? toShownError(settings.error) : null} />
      <Card title={t('rewards.h5page.limits')} style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">{t('rewards.h5page.limitsHelp')}</Typography.Paragraph>
        <Form form={form} layout="inline" onFinish={(v) => void save(v)} disabled={me.role !== 'admin'}>
          <Form.Item name="perIpPerMinute" label={t('rewards.h5page.perIp')} rules={[{ required: true, message: t('common.required') }]}><InputNumber min={1} data-testid="h5-per-ip" /></Form.Item>
          <Form.Item name="perDevicePerMinute" label={t('rewards.h5page.perDevice')} rules={[{ required: true, message: t('common.required') }]}><InputNumber min={1} data-testid="h5-per-device" /></Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="h5-settings-save">{t('common.save')}</Button>
        </Form>
      </Card>
      <Card title={t('rewards.h5page.links')} extra={<Segmented value={kind} onChange={(v) => setKind(v as typeof kind)} options={[{ value: 'all', label: t('rewards.alerts.all') }, { value: 'coupon', label: t('rewards.menu.coupons') }, { value: 'lottery', label: t('rewards.menu.lotteries') }]} />}>
        <Table<H5Link>
          rowKey="code" size="small" loading={links.loading} dataSource={links.data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }} data-testid="h5-links"
          columns={[
            { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
            { title: t('rewards.externalId'), dataIndex: 'externalId' },
            { title: t('rewards.h5page.page'), key: 'page', render: (_: unknown, l) => <span><Tag>{l.page === 'coupon' ? t('rewards.menu.coupons') : t('rewards.menu.lotteries')}</Tag><Typography.Text code>{l.pageId}</Typography.Text></span> },
            { title: t('rewards.coupons.campaign'), dataIndex: 'campaignId', render: (v: string | null) => v ?? '—' },
            { title: t('rewards.h5.short'), dataIndex: 'shortUrl', render: (v: string) => <Typography.Text copyable={{ text: v }}>{v}</Typography.Text> },
            { title: t('rewards.h5page.expires'), dataIndex: 'expiresAt', render: (v: string) => (new Date(v).getTime() < Date.now() ? <Tag>{t('rewards.h5page.expired')}</Tag> : formatTime(v, lang)) },
          ]}
        />
      </Card>
    </>
  );
}
