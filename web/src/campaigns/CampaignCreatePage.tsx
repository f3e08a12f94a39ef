import { Button, Card, DatePicker, Form, Input, InputNumber, Select, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../api/client.ts';
import { goals, type Campaign, type Goal } from '../api/types.ts';
import { applyApiError, type FieldPath, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { yuanToFen } from '../common/money.ts';
import { useI18n } from '../i18n/i18n-context.ts';

interface CampaignValues {
  name: string;
  goal: Goal;
  period: [Dayjs, Dayjs];
  windowDays: number;
  budgetYuan?: number | null;
  description?: string;
}

function campaignFieldOf(path: FieldPath): FieldPath | null {
  const [top, sub] = path;
  if (top === 'name' || top === 'goal' || top === 'description') return [top];
  if (top === 'startAt' || top === 'endAt') return ['period'];
  if (top === 'conversion' && sub === 'windowDays') return ['windowDays'];
  if (top === 'budget') return ['budgetYuan'];
  return null;
}

/** New draft campaign: name, goal, period, conversion window, optional budget (yuan → fen). */
export function CampaignCreatePage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<CampaignValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (v: CampaignValues) => {
    setBusy(true);
    setError(null);
    try {
      const c = await api.post<Campaign>('/v1/campaigns', {
        name: v.name.trim(),
        goal: v.goal,
        startAt: v.period[0].toISOString(),
        endAt: v.period[1].toISOString(),
        conversion: { event: 'order_paid', windowDays: v.windowDays },
        ...(v.budgetYuan !== undefined && v.budgetYuan !== null ? { budget: { amount: yuanToFen(v.budgetYuan) } } : {}),
        ...(v.description?.trim() ? { description: v.description.trim() } : {}),
      });
      navigate(`/campaigns/${c.id}`);
    } catch (err) {
      setError(applyApiError(form, err, campaignFieldOf));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}><Link to="/campaigns">{t('campaigns.title')}</Link> / {t('campaigns.new')}</Typography.Title>
      </div>
      <ErrorAlert error={error} />
      <Card style={{ maxWidth: 720 }}>
        <Form<CampaignValues>
          form={form}
          layout="vertical"
          requiredMark={false}
          initialValues={{ goal: 'repurchase', windowDays: 7, period: [dayjs().startOf('minute'), dayjs().add(30, 'day').endOf('day')] }}
          onFinish={(v) => void save(v)}
        >
          <Form.Item name="name" label={t('campaigns.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
            <Input data-testid="campaign-name" />
          </Form.Item>
          <Form.Item name="goal" label={t('campaigns.goal')}>
            <Select options={goals.map((g) => ({ value: g, label: t(`goal.${g}`) }))} data-testid="campaign-goal" />
          </Form.Item>
          <Form.Item name="period" label={t('campaigns.period')} rules={[{ required: true, message: t('common.required') }]}>
            <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="windowDays" label={t('campaigns.windowDays')} extra={t('campaigns.windowHint')} rules={[{ required: true, message: t('common.required') }]}>
            <InputNumber min={1} max={365} precision={0} data-testid="campaign-window" />
          </Form.Item>
          <Form.Item name="budgetYuan" label={t('campaigns.budget')}>
            <InputNumber min={0} precision={2} prefix="¥" style={{ width: 200 }} />
          </Form.Item>
          <Form.Item name="description" label={t('campaigns.description')}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="campaign-save">{t('campaigns.create')}</Button>
        </Form>
      </Card>
    </>
  );
}
