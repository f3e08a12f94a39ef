import { PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { request } from '../api/client.ts';
import { channels, type Channel, type Page, type Provider, type ProviderType } from '../api/types.ts';
import { applyApiError, toShownError, type FieldPath, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';

/** What each provider type sends and the credential keys it takes (docs/channels.md). */
const typeSpecs: Record<ProviderType, { channels: readonly Channel[]; credentials: string[]; settings: Record<string, unknown> }> = {
  sandbox: { channels, credentials: [], settings: {} },
  inbox: { channels: ['inbox'], credentials: [], settings: { expiresInDays: 30 } },
  smtp: { channels: ['email'], credentials: ['user', 'pass'], settings: { host: 'smtp.example.com', port: 587, from: 'Shop <news@shop.example>' } },
  webhook: { channels: ['webhook'], credentials: ['secret'], settings: { timeoutMs: 5000, maxAttempts: 3 } },
  wechat: { channels: ['wechat'], credentials: ['appId', 'appSecret'], settings: {} },
  tencent_sms: { channels: ['sms'], credentials: ['secretId', 'secretKey'], settings: { sdkAppId: '', templateId: '', region: 'ap-guangzhou' } },
};
const providerTypes = Object.keys(typeSpecs) as ProviderType[];
/** SMS providers carry the unit price the cost estimates use (sandbox: whole minor units). */
const hasUnitPrice = (c: Channel, ty: ProviderType) => c === 'sms' && (ty === 'sandbox' || ty === 'tencent_sms');
const typesFor = (c: Channel) => providerTypes.filter((ty) => typeSpecs[ty].channels.includes(c));

interface ProviderValues {
  name: string;
  channel: Channel;
  type: ProviderType;
  credentials: Record<string, string | undefined>;
  settingsJson: string;
  unitPrice?: number | null;
  rateLimitPerSecond?: number | null;
  fallbackProviderId?: string | null;
  priority?: number | null;
}

function providerFieldOf(path: FieldPath): FieldPath | null {
  const [top, key] = path;
  if (top === 'credentials' && typeof key === 'string') return ['credentials', key];
  if (top === 'settings') return key === 'unitPrice' ? ['unitPrice'] : ['settingsJson'];
  if (top === 'name' || top === 'channel' || top === 'type' || top === 'rateLimitPerSecond' || top === 'fallbackProviderId' || top === 'priority') return [top];
  return null;
}

/** Create / edit / delete the workspace's providers; credentials are write-only (masked on read). */
export function ProvidersCard() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const list = useAsync(() => request<Page<Provider>>('GET', '/v1/providers?limit=1000'), []);
  const [editing, setEditing] = useState<Provider | 'new' | null>(null);
  const [form] = Form.useForm<ProviderValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const channel = Form.useWatch('channel', form) ?? 'sms';
  const type = Form.useWatch('type', form) ?? 'sandbox';
  const items = list.data?.items ?? [];
  const current = editing && editing !== 'new' ? editing : null;

  const open = (p: Provider | 'new') => {
    setError(null);
    setEditing(p);
    form.resetFields();
    if (p === 'new') {
      form.setFieldsValue({ name: '', channel: 'sms', type: 'sandbox', credentials: {}, settingsJson: '{}', priority: 0 });
    } else {
      const { unitPrice, ...settings } = p.settings as { unitPrice?: number };
      form.setFieldsValue({ name: p.name, channel: p.channel, type: p.type, credentials: {}, settingsJson: JSON.stringify(settings, null, 2), unitPrice: unitPrice ?? null, rateLimitPerSecond: p.rateLimitPerSecond, fallbackProviderId: p.fallbackProviderId, priority: p.priority });
    }
  };

  const save = async (v: ProviderValues) => {
    setBusy(true);
    setError(null);
    try {
      const settings = { ...(JSON.parse(v.settingsJson || '{}') as Record<string, unknown>), ...(v.unitPrice !== undefined && v.unitPrice !== null && hasUnitPrice(v.channel, v.type) ? { unitPrice: v.unitPrice } : {}) };
      const credentials = Object.fromEntries(Object.entries(v.credentials ?? {}).filter(([, val]) => val && val.trim() !== ''));
      const common = { name: v.name.trim(), settings, rateLimitPerSecond: v.rateLimitPerSecond ?? null, fallbackProviderId: v.fallbackProviderId ?? null, priority: v.priority ?? 0 };
      if (current) {
        // Credentials are replaced whole, and only when some were typed: empty keeps the stored ones.
        await request('PATCH', `/v1/providers/${current.id}`, { ...common, ...(Object.keys(credentials).length ? { credentials } : {}) });
      } else {
        await request('POST', '/v1/providers', { ...common, channel: v.channel, type: v.type, credentials });
      }
      void message.success(t('providers.saved'));
      setEditing(null);
      await list.reload();
    } catch (err) {
      setError(err instanceof SyntaxError ? { message: t('templates.jsonRule'), unmatched: [] } : applyApiError(form, err, providerFieldOf));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (p: Provider) => {
    try {
      await request('DELETE', `/v1/providers/${p.id}`);
      void message.success(t('providers.deleted'));
      await list.reload();
    } catch (err) {
      void message.error(toShownError(err).message);
    }
  };

  return (
    <Card title={t('providers.title')} extra={<Button icon={<PlusOutlined />} onClick={() => open('new')} data-testid="provider-add">{t('providers.add')}</Button>} data-testid="providers">
      <Typography.Paragraph type="secondary">{t('providers.intro')}</Typography.Paragraph>
      <ErrorAlert error={list.error ? toShownError(list.error) : null} />
      <Table<Provider>
        rowKey="id" size="small" loading={list.loading} dataSource={items} pagination={false} scroll={{ x: true }} locale={{ emptyText: t('providers.empty') }}
        columns={[
          { title: t('providers.name'), dataIndex: 'name' },
          { title: t('providers.channel'), dataIndex: 'channel', render: (c: Channel) => <Tag>{t(`channel.${c}`)}</Tag> },
          { title: t('providers.type'), dataIndex: 'type', render: (v: string) => <Tag color="blue">{v}</Tag> },
          { title: t('providers.credentials'), dataIndex: 'credentials', render: (c: Record<string, string>) => (Object.values(c).includes('unreadable')
            ? <Typography.Text type="danger">{t('providers.unreadable')}</Typography.Text>
            : Object.entries(c).map(([k, v]) => <Tag key={k}>{k}: {v}</Tag>)) },
          { title: t('providers.rate'), dataIndex: 'rateLimitPerSecond', align: 'right', render: (v: number | null) => v ?? '—' },
          { title: t('providers.unitPrice'), key: 'unitPrice', align: 'right', render: (_: unknown, p) => String((p.settings as { unitPrice?: number }).unitPrice ?? '—') },
          { title: t('providers.fallback'), dataIndex: 'fallbackProviderId', render: (id: string | null) => (id ? items.find((x) => x.id === id)?.name ?? id : '—') },
          { title: t('providers.priority'), dataIndex: 'priority', align: 'right' },
          { title: t('providers.actions'), key: 'actions', render: (_: unknown, p) => (
            <Space>
              <Button size="small" onClick={() => open(p)} data-testid="provider-edit">{t('providers.edit')}</Button>
              <Popconfirm title={t('providers.deleteConfirm')} okText={t('providers.delete')} cancelText={t('common.cancel')} onConfirm={() => remove(p)}>
                <Button size="small" danger data-testid="provider-delete">{t('providers.delete')}</Button>
              </Popconfirm>
            </Space>
          ) },
        ]}
      />
      <Modal
        open={editing !== null}
        title={current ? t('providers.edit') : t('providers.add')}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setEditing(null)}
        width={640}
        forceRender
      >
        <ErrorAlert error={error} />
        <Form<ProviderValues>
          form={form}
          layout="vertical"
          requiredMark={false}
          onFinish={(v) => void save(v)}
          onValuesChange={(changed: Partial<ProviderValues>) => {
            if (changed.channel && !current) form.setFieldsValue({ type: typesFor(changed.channel)[0] ?? 'sandbox' });
            if ((changed.type || changed.channel) && !current) {
              const ty = changed.type ?? (form.getFieldValue('type') as ProviderType);
              form.setFieldsValue({ credentials: {}, settingsJson: JSON.stringify(typeSpecs[ty].settings, null, 2) });
            }
          }}
        >
          <Form.Item name="name" label={t('providers.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}><Input data-testid="provider-name" /></Form.Item>
          <Space wrap>
            <Form.Item name="channel" label={t('providers.channel')}>
              <Select disabled={!!current} style={{ width: 180 }} options={channels.map((c) => ({ value: c, label: t(`channel.${c}`) }))} data-testid="provider-channel" />
            </Form.Item>
            <Form.Item name="type" label={t('providers.type')}>
              <Select disabled={!!current} style={{ width: 180 }} options={typesFor(channel).map((ty) => ({ value: ty, label: ty }))} data-testid="provider-type" />
            </Form.Item>
          </Space>
          {typeSpecs[type].credentials.length > 0 && (
            <Form.Item label={t('providers.credentials')} extra={current ? t('providers.credentialsHint') : t('providers.credentialsNew')}>
              {typeSpecs[type].credentials.map((k) => (
                <Form.Item key={k} name={['credentials', k]} noStyle rules={current ? [] : [{ required: true, message: t('common.required') }]}>
                  <Input.Password autoComplete="new-password" addonBefore={k} placeholder={current?.credentials[k] ?? ''} style={{ marginBottom: 6 }} data-testid={`provider-cred-${k}`} />
                </Form.Item>
              ))}
            </Form.Item>
          )}
          {hasUnitPrice(channel, type) && (
            <Form.Item name="unitPrice" label={t('providers.unitPrice')} extra={t('providers.unitPriceHint')}>
              <InputNumber min={0} max={1_000_000} precision={type === 'sandbox' ? 0 : 2} data-testid="provider-unit-price" />
            </Form.Item>
          )}
          <Form.Item name="settingsJson" label={t('providers.settings')} rules={[{ validator: async (_r, v: string) => { JSON.parse(v || '{}'); }, message: t('templates.jsonRule') }]}>
            <Input.TextArea autoSize={{ minRows: 3, maxRows: 12 }} style={{ fontFamily: 'ui-monospace, Menlo, monospace' }} data-testid="provider-settings" />
          </Form.Item>
          <Space wrap>
            <Form.Item name="rateLimitPerSecond" label={t('providers.rate')}><InputNumber min={1} max={100_000} precision={0} data-testid="provider-rate" /></Form.Item>
            <Form.Item name="priority" label={t('providers.priority')}><InputNumber min={-1000} max={1000} precision={0} /></Form.Item>
            <Form.Item name="fallbackProviderId" label={t('providers.fallback')}>
              <Select allowClear placeholder={t('providers.none')} style={{ width: 220 }} options={items.filter((p) => p.channel === channel && p.id !== current?.id).map((p) => ({ value: p.id, label: p.name }))} data-testid="provider-fallback" />
            </Form.Item>
          </Space>
        </Form>
      </Modal>
    </Card>
  );
}
