import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Form, Input, InputNumber, Modal, Radio, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, query } from '../api/client.ts';
import type { Campaign, Page } from '../api/types.ts';
import { applyApiError, toShownError, type ShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatFen, yuanToFen } from '../common/money.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { CouponTemplate, CouponType } from './types.ts';

/** "满100减20", "立减20", "20% off, up to ¥50": a template's offer in one line. */
export function offerText(tpl: Pick<CouponTemplate, 'type' | 'value' | 'minSpend' | 'maxDiscount'>, t: ReturnType<typeof useI18n>['t']): string {
  if (tpl.type === 'percent') return t('rewards.coupons.offerPercent', { value: tpl.value, cap: tpl.maxDiscount ? formatFen(tpl.maxDiscount) : '—' });
  if (tpl.type === 'direct') return t('rewards.coupons.offerDirect', { value: formatFen(tpl.value) });
  return t('rewards.coupons.offerThreshold', { value: formatFen(tpl.value), minSpend: formatFen(tpl.minSpend) });
}

/** Coupon templates, newest first, and the form that creates one. */
export function CouponTemplatesPage() {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const { data, error, loading, reload } = useAsync(() => api.get<Page<CouponTemplate>>('/v1/coupon-templates?limit=500'), []);
  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}>{t('rewards.coupons.title')}</Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="new-coupon-template">{t('rewards.coupons.new')}</Button>
      </div>
      <ErrorAlert error={error ? toShownError(error) : null} />
      <Card>
        <Table<CouponTemplate>
          rowKey="id" loading={loading} dataSource={data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }}
          columns={[
            { title: t('rewards.name'), dataIndex: 'name', render: (v: string, r) => <Link to={`/rewards/coupons/${r.id}`}>{v}</Link> },
            { title: t('rewards.coupons.type'), dataIndex: 'type', render: (v: CouponType) => <Tag>{t(`rewards.coupons.type.${v}`)}</Tag> },
            { title: t('rewards.coupons.offer'), key: 'offer', render: (_: unknown, r) => offerText(r, t) },
            { title: t('rewards.coupons.totalStock'), dataIndex: 'totalStock', align: 'right', render: (v: number) => v.toLocaleString() },
            { title: t('rewards.coupons.claimWindow'), key: 'window', render: (_: unknown, r) => `${formatTime(r.claimStart, lang)} – ${formatTime(r.claimEnd, lang)}` },
            { title: t('rewards.state'), key: 'state', render: (_: unknown, r) => (r.killed ? <Tag color="red">{t('rewards.killed')}</Tag> : <Tag color="green">{t('rewards.active')}</Tag>) },
          ]}
        />
      </Card>
      <CreateCouponTemplateModal open={open} onClose={() => setOpen(false)} onCreated={() => void reload()} />
    </>
  );
}

interface FormValues {
  name: string; type: CouponType; value: number; minSpend?: number; maxDiscount?: number; totalStock: number;
  perUserLimit?: number; perUserDailyLimit?: number; claim: [Dayjs, Dayjs]; validityKind: 'days' | 'range'; validityDays?: number; validityRange?: [Dayjs, Dayjs]; campaignId?: string;
}

function CreateCouponTemplateModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<FormValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const type = Form.useWatch('type', form) ?? 'threshold';
  const validityKind = Form.useWatch('validityKind', form) ?? 'days';
  const campaigns = useAsync(() => (open ? api.get<Page<Campaign>>(`/v1/campaigns${query({ limit: 200 })}`) : Promise.resolve({ items: [], nextCursor: null })), [open]);

  const submit = async (v: FormValues) => {
    setBusy(true);
    try {
      const body = {
        name: v.name, type: v.type, value: v.type === 'percent' ? v.value : yuanToFen(v.value),
        ...(v.type === 'threshold' && v.minSpend !== undefined ? { minSpend: yuanToFen(v.minSpend) } : {}),
        ...(v.type === 'percent' && v.maxDiscount !== undefined ? { maxDiscount: yuanToFen(v.maxDiscount) } : {}),
        totalStock: v.totalStock,
        ...(v.perUserLimit ? { perUserLimit: v.perUserLimit } : {}),
        ...(v.perUserDailyLimit ? { perUserDailyLimit: v.perUserDailyLimit } : {}),
        claimStart: v.claim[0].toISOString(), claimEnd: v.claim[1].toISOString(),
        validity: v.validityKind === 'days' ? { days: v.validityDays ?? 7 } : { from: v.validityRange![0].toISOString(), to: v.validityRange![1].toISOString() },
        ...(v.campaignId ? { campaignId: v.campaignId } : {}),
      };
      const created = await api.post<CouponTemplate>('/v1/coupon-templates', body);
      onCreated();
      onClose();
      form.resetFields();
      navigate(`/rewards/coupons/${created.id}`);
    } catch (err) {
      setError(applyApiError(form, err, (path) => {
        const f = String(path[0]);
        if (['name', 'type', 'value', 'minSpend', 'maxDiscount', 'totalStock', 'perUserLimit', 'perUserDailyLimit', 'campaignId'].includes(f)) return [f];
        if (f === 'claimStart' || f === 'claimEnd') return ['claim'];
        if (f === 'validity') return [validityKind === 'days' ? 'validityDays' : 'validityRange'];
        return null;
      }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open={open} title={t('rewards.coupons.new')} onCancel={onClose} onOk={() => form.submit()} okText={t('common.save')} cancelText={t('common.cancel')} confirmLoading={busy} width={640} destroyOnHidden>
      <ErrorAlert error={error} />
      <Form<FormValues> form={form} layout="vertical" onFinish={(v) => void submit(v)} initialValues={{ type: 'threshold', validityKind: 'days', validityDays: 7, totalStock: 1000, claim: [dayjs(), dayjs().add(30, 'day')] }}>
        <Form.Item name="name" label={t('rewards.name')} rules={[{ required: true, message: t('common.required') }]}><Input data-testid="coupon-name" /></Form.Item>
        <Form.Item name="type" label={t('rewards.coupons.type')}>
          <Radio.Group optionType="button" options={(['threshold', 'direct', 'percent'] as const).map((v) => ({ value: v, label: t(`rewards.coupons.type.${v}`) }))} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="value" label={type === 'percent' ? t('rewards.coupons.percentOff') : t('rewards.coupons.valueYuan')} rules={[{ required: true, message: t('common.required') }]}>
            <InputNumber min={type === 'percent' ? 1 : 0.01} max={type === 'percent' ? 100 : undefined} step={type === 'percent' ? 1 : 0.01} data-testid="coupon-value" />
          </Form.Item>
          {type === 'threshold' ? <Form.Item name="minSpend" label={t('rewards.coupons.minSpendYuan')}><InputNumber min={0} step={0.01} data-testid="coupon-min-spend" /></Form.Item> : null}
          {type === 'percent' ? <Form.Item name="maxDiscount" label={t('rewards.coupons.maxDiscountYuan')}><InputNumber min={0.01} step={0.01} /></Form.Item> : null}
          <Form.Item name="totalStock" label={t('rewards.coupons.totalStock')} rules={[{ required: true, message: t('common.required') }]}><InputNumber min={0} data-testid="coupon-stock" /></Form.Item>
          <Form.Item name="perUserLimit" label={t('rewards.coupons.perUserLimit')}><InputNumber min={1} /></Form.Item>
          <Form.Item name="perUserDailyLimit" label={t('rewards.coupons.perUserDailyLimit')}><InputNumber min={1} /></Form.Item>
        </Space>
        <Form.Item name="claim" label={t('rewards.coupons.claimWindow')} rules={[{ required: true, message: t('common.required') }]}><DatePicker.RangePicker showTime /></Form.Item>
        <Form.Item name="validityKind" label={t('rewards.coupons.validity')}>
          <Radio.Group options={[{ value: 'days', label: t('rewards.coupons.validityDays') }, { value: 'range', label: t('rewards.coupons.validityRange') }]} />
        </Form.Item>
        {validityKind === 'days'
          ? <Form.Item name="validityDays" rules={[{ required: true, message: t('common.required') }]}><InputNumber min={1} max={3650} addonAfter={t('rewards.days')} /></Form.Item>
          : <Form.Item name="validityRange" rules={[{ required: true, message: t('common.required') }]}><DatePicker.RangePicker showTime /></Form.Item>}
        <Form.Item name="campaignId" label={t('rewards.coupons.campaign')} extra={t('rewards.coupons.campaignHelp')}>
          <Select allowClear options={(campaigns.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
