import { App, Button, Card, Form, Input, InputNumber, Space, Switch, Table, TimePicker, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { request } from '../api/client.ts';
import { channels, type Cap, type Channel, type DeliveryPolicy } from '../api/types.ts';
import { applyApiError, type FieldPath, type ShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';

type CapValues = { maxPerUser?: number | null; perDays?: number | null };
interface PolicyValues {
  global: CapValues;
  channels: Partial<Record<Channel, CapValues>>;
  quietOn: boolean;
  quietStart?: Dayjs | null;
  quietEnd?: Dayjs | null;
  smsOptOut?: string;
  retryAttempts?: number | null;
  retryDelay?: number | null;
}

const hhmm = (d: Dayjs) => d.format('HH:mm');
const atTime = (s: string) => dayjs(`2000-01-01T${s}:00`);
/** Both numbers make a cap; neither is "off". */
const capOf = (c: CapValues | undefined): Cap | null => (c?.maxPerUser && c.perDays ? { maxPerUser: c.maxPerUser, perDays: c.perDays } : null);

/** `channels.sms.perDays` → the same form field; `quietHours.end` → quietEnd. */
function policyFieldOf(path: FieldPath): FieldPath | null {
  const [top, a, b] = path;
  if (top === 'global' && typeof a === 'string') return ['global', a];
  if (top === 'channels' && typeof a === 'string') return ['channels', a, typeof b === 'string' ? b : 'maxPerUser'];
  if (top === 'quietHours') return [a === 'end' ? 'quietEnd' : 'quietStart'];
  if (top === 'smsOptOut') return ['smsOptOut'];
  if (top === 'retries') return [a === 'delaySeconds' ? 'retryDelay' : 'retryAttempts'];
  return null;
}

/** The workspace's anti-disturbance rules (PUT /v1/policies/delivery replaces the whole policy). */
export function DeliveryPolicyCard({ editable }: { editable: boolean }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<PolicyValues>();
  const policy = useAsync(() => request<DeliveryPolicy>('GET', '/v1/policies/delivery'), []);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const quietOn = Form.useWatch('quietOn', form);

  useEffect(() => {
    const p = policy.data;
    if (!p) return;
    form.setFieldsValue({
      global: p.global ?? {},
      channels: Object.fromEntries(channels.map((c) => [c, p.channels[c] ?? {}])),
      quietOn: !!p.quietHours,
      quietStart: p.quietHours ? atTime(p.quietHours.start) : atTime('21:00'),
      quietEnd: p.quietHours ? atTime(p.quietHours.end) : atTime('09:00'),
      smsOptOut: p.smsOptOut ?? '',
      retryAttempts: p.retries?.maxAttempts ?? null,
      retryDelay: p.retries?.delaySeconds ?? null,
    });
  }, [policy.data, form]);

  const save = async (v: PolicyValues) => {
    setBusy(true);
    setError(null);
    const byChannel = Object.fromEntries(channels.map((c) => [c, capOf(v.channels?.[c])]).filter(([, cap]) => cap));
    try {
      await request('PUT', '/v1/policies/delivery', {
        global: capOf(v.global),
        channels: byChannel,
        quietHours: v.quietOn && v.quietStart && v.quietEnd ? { start: hhmm(v.quietStart), end: hhmm(v.quietEnd) } : null,
        // PUT replaces the whole policy: send what the page shows, so nothing resets unseen.
        ...(v.smsOptOut?.trim() ? { smsOptOut: v.smsOptOut.trim() } : {}),
        ...(v.retryAttempts && v.retryDelay ? { retries: { maxAttempts: v.retryAttempts, delaySeconds: v.retryDelay } } : {}),
      });
      void message.success(t('policy.saved'));
      await policy.reload();
    } catch (err) {
      setError(applyApiError(form, err, policyFieldOf));
    } finally {
      setBusy(false);
    }
  };

  // Half a cap is a mistake, not "off": ask for both numbers.
  const pairRule = (path: FieldPath) => ({
    validator: async () => {
      const c = form.getFieldValue(path as never) as CapValues | undefined;
      if (!!c?.maxPerUser !== !!c?.perDays) throw new Error(t('policy.pairRule'));
    },
  });
  const capInputs = (path: FieldPath, testId: string) => (
    <Space>
      <Form.Item name={[...path, 'maxPerUser']} noStyle rules={[pairRule(path)]} dependencies={[[...path, 'perDays']]}>
        <InputNumber min={1} max={1_000_000} precision={0} placeholder={t('policy.off')} addonBefore={t('policy.maxPerUser')} style={{ width: 170 }} data-testid={`${testId}-max`} />
      </Form.Item>
      <Form.Item name={[...path, 'perDays']} noStyle>
        <InputNumber min={1} max={365} precision={0} placeholder="—" addonBefore={t('policy.perDays')} style={{ width: 150 }} data-testid={`${testId}-days`} />
      </Form.Item>
    </Space>
  );

  return (
    <Card title={t('policy.title')} loading={!policy.data && !policy.error} data-testid="delivery-policy">
      <ErrorAlert error={error ?? (policy.error ? { message: policy.error.message, unmatched: [] } : null)} />
      <Typography.Paragraph type="secondary">{t('policy.intro', { timezone: policy.data?.timezone ?? '' })}</Typography.Paragraph>
      <Form<PolicyValues> form={form} layout="vertical" requiredMark={false} onFinish={(v) => void save(v)} disabled={!editable}>
        <Table<{ key: string; label: string; path: FieldPath }>
          size="small" pagination={false} style={{ marginBottom: 16 }}
          dataSource={[{ key: 'global', label: t('policy.global'), path: ['global'] }, ...channels.map((c) => ({ key: c, label: t(`channel.${c}`), path: ['channels', c] }))]}
          columns={[
            { title: t('policy.channel'), dataIndex: 'label' },
            { title: t('taskCard.frequency'), key: 'cap', render: (_: unknown, row) => (
              <Form.Item noStyle shouldUpdate>{() => <>{capInputs(row.path, `cap-${row.key}`)}<div><Typography.Text type="danger" style={{ fontSize: 12 }}>{form.getFieldError([...row.path, 'maxPerUser'] as never)[0] ?? form.getFieldError([...row.path, 'perDays'] as never)[0]}</Typography.Text></div></>}</Form.Item>
            ) },
          ]}
        />
        <Form.Item name="quietOn" label={t('policy.quietHours')} valuePropName="checked" extra={t('policy.quietHint')}>
          <Switch data-testid="quiet-on" />
        </Form.Item>
        {quietOn && (
          <Space wrap>
            <Form.Item name="quietStart" label={t('policy.quietStart')} rules={[{ required: true, message: t('common.required') }]}>
              <TimePicker format="HH:mm" needConfirm={false} data-testid="quiet-start" />
            </Form.Item>
            <Form.Item name="quietEnd" label={t('policy.quietEnd')} rules={[{ required: true, message: t('common.required') }]}>
              <TimePicker format="HH:mm" needConfirm={false} data-testid="quiet-end" />
            </Form.Item>
          </Space>
        )}
        <Form.Item name="smsOptOut" label={t('policy.smsOptOut')} extra={t('policy.smsOptOutHint')} style={{ maxWidth: 360 }}>
          <Input maxLength={40} placeholder="拒收请回复R" data-testid="policy-opt-out" />
        </Form.Item>
        <Form.Item label={t('policy.retries')} extra={t('policy.retriesHint')}>
          <Space wrap>
            <Form.Item name="retryAttempts" noStyle><InputNumber min={1} max={10} precision={0} addonBefore={t('policy.retryAttempts')} style={{ width: 180 }} data-testid="policy-retry-attempts" /></Form.Item>
            <Form.Item name="retryDelay" noStyle><InputNumber min={1} max={86_400} precision={0} addonBefore={t('policy.retryDelay')} addonAfter="s" style={{ width: 220 }} data-testid="policy-retry-delay" /></Form.Item>
          </Space>
        </Form.Item>
        <Space align="center">
          {editable && <Button type="primary" htmlType="submit" loading={busy} data-testid="policy-save">{t('common.save')}</Button>}
          {policy.data?.updatedAt && <Typography.Text type="secondary">{t('policy.updatedAt', { at: formatTime(policy.data.updatedAt, lang) })}</Typography.Text>}
        </Space>
      </Form>
    </Card>
  );
}
