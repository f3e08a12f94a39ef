import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Form, Input, InputNumber, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { Page, Segment } from '../api/types.ts';
import { applyApiError, toShownError, type ShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { pct } from './shared.tsx';
import type { Lottery } from './types.ts';

export const lotteryStatusColor = { scheduled: 'blue', running: 'green', ended: 'default' } as const;

/** Lotteries, newest first, and the form that creates one (the prize table shows each prize's odds as you type). */
export function LotteriesPage() {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const { data, error, loading, reload } = useAsync(() => api.get<Page<Lottery>>('/v1/lotteries?limit=500'), []);
  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}>{t('rewards.lotteries.title')}</Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="new-lottery">{t('rewards.lotteries.new')}</Button>
      </div>
      <ErrorAlert error={error ? toShownError(error) : null} />
      <Card>
        <Table<Lottery>
          rowKey="id" loading={loading} dataSource={data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }}
          columns={[
            { title: t('rewards.name'), dataIndex: 'name', render: (v: string, r) => <Link to={`/rewards/lotteries/${r.id}`}>{v}</Link> },
            { title: t('rewards.state'), dataIndex: 'status', render: (v: Lottery['status']) => <Tag color={lotteryStatusColor[v]}>{t(`rewards.lotteries.status.${v}`)}</Tag> },
            { title: t('rewards.lotteries.period'), key: 'period', render: (_: unknown, r) => `${formatTime(r.startAt, lang)} – ${formatTime(r.endAt, lang)}` },
            { title: t('rewards.lotteries.prizes'), key: 'prizes', render: (_: unknown, r) => r.prizes.map((p) => `${p.name} ${pct(p.probability)}`).join(' · ') },
          ]}
        />
      </Card>
      <CreateLotteryModal open={open} onClose={() => setOpen(false)} onCreated={() => void reload()} />
    </>
  );
}

interface PrizeRow { key: string; name: string; weight: number; stock?: number | null; couponTemplateId?: string; points?: number; perUserLimit?: number }
interface PoolRow { segmentId: string; noPrizeWeight?: number | null; weights?: Record<string, number | null | undefined> }
interface FormValues { name: string; period: [Dayjs, Dayjs]; costPerDraw: number; perUserDailyDraws?: number; noPrizeWeight: number; pointsPerChance?: number; prizes: PrizeRow[]; pools?: PoolRow[] }

function CreateLotteryModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<FormValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const prizes = (Form.useWatch('prizes', form) ?? []) as (PrizeRow | undefined)[];
  const noPrizeWeight = Form.useWatch('noPrizeWeight', form) ?? 0;
  const total = prizes.reduce((s, p) => s + (p?.weight ?? 0), noPrizeWeight);
  const oddsOf = (w: number | undefined) => (total > 0 ? pct((w ?? 0) / total) : '—');
  const segments = useAsync(() => (open ? api.get<Page<Segment>>('/v1/segments?limit=500') : Promise.resolve({ items: [], nextCursor: null })), [open]);
  const prizeKeys = prizes.map((p) => p?.key).filter((k): k is string => !!k);

  const submit = async (v: FormValues) => {
    setBusy(true);
    try {
      const created = await api.post<Lottery>('/v1/lotteries', {
        name: v.name, startAt: v.period[0].toISOString(), endAt: v.period[1].toISOString(), costPerDraw: v.costPerDraw,
        ...(v.perUserDailyDraws ? { perUserDailyDraws: v.perUserDailyDraws } : {}), noPrizeWeight: v.noPrizeWeight,
        ...(v.pointsPerChance ? { pointsPerChance: v.pointsPerChance } : {}),
        // A pool lists the prizes it offers with its own weights; a prize left empty is not in that pool.
        pools: (v.pools ?? []).map((pool) => ({
          segmentId: pool.segmentId,
          ...(pool.noPrizeWeight !== null && pool.noPrizeWeight !== undefined ? { noPrizeWeight: pool.noPrizeWeight } : {}),
          prizes: Object.entries(pool.weights ?? {}).filter(([k, w]) => typeof w === 'number' && v.prizes.some((p) => p.key === k)).map(([key, weight]) => ({ key, weight: weight as number })),
        })),
        prizes: v.prizes.map((p) => ({
          key: p.key, name: p.name, weight: p.weight, stock: p.stock ?? null,
          ...(p.couponTemplateId ? { couponTemplateId: p.couponTemplateId } : {}), ...(p.points ? { points: p.points } : {}), ...(p.perUserLimit ? { perUserLimit: p.perUserLimit } : {}),
        })),
      });
      onCreated();
      onClose();
      form.resetFields();
      navigate(`/rewards/lotteries/${created.id}`);
    } catch (err) {
      setError(applyApiError(form, err, (path) => {
        const f = String(path[0]);
        if (f === 'startAt' || f === 'endAt') return ['period'];
        if (f === 'prizes' && typeof path[1] === 'number' && path[2] !== undefined) return ['prizes', path[1], String(path[2])];
        return ['name', 'costPerDraw', 'perUserDailyDraws', 'noPrizeWeight'].includes(f) ? [f] : null;
      }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open={open} title={t('rewards.lotteries.new')} onCancel={onClose} onOk={() => form.submit()} okText={t('common.save')} cancelText={t('common.cancel')} confirmLoading={busy} width={900} destroyOnHidden>
      <ErrorAlert error={error} />
      <Form<FormValues> form={form} layout="vertical" onFinish={(v) => void submit(v)}
        initialValues={{ costPerDraw: 1, noPrizeWeight: 0, period: [dayjs(), dayjs().add(7, 'day')], prizes: [{ key: 'p1', name: '', weight: 1, stock: 100 }] }}>
        <Space wrap>
          <Form.Item name="name" label={t('rewards.name')} rules={[{ required: true, message: t('common.required') }]}><Input style={{ width: 260 }} data-testid="lottery-name" /></Form.Item>
          <Form.Item name="period" label={t('rewards.lotteries.period')} rules={[{ required: true, message: t('common.required') }]}><DatePicker.RangePicker showTime /></Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="costPerDraw" label={t('rewards.lotteries.costPerDraw')}><InputNumber min={1} /></Form.Item>
          <Form.Item name="perUserDailyDraws" label={t('rewards.lotteries.perUserDailyDraws')}><InputNumber min={1} /></Form.Item>
          <Form.Item name="noPrizeWeight" label={t('rewards.lotteries.noPrizeWeight')} extra={t('rewards.lotteries.oddsIs', { odds: oddsOf(noPrizeWeight) })}><InputNumber min={0} /></Form.Item>
          <Form.Item name="pointsPerChance" label={t('rewards.lotteries.pointsPerChance')}><InputNumber min={1} /></Form.Item>
        </Space>
        <Typography.Text strong>{t('rewards.lotteries.prizes')}</Typography.Text>
        <Form.List name="prizes">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} wrap align="start" style={{ display: 'flex', marginTop: 8 }}>
                  <Form.Item name={[f.name, 'key']} rules={[{ required: true, message: t('common.required') }]}><Input placeholder={t('rewards.lotteries.prizeKey')} style={{ width: 90 }} /></Form.Item>
                  <Form.Item name={[f.name, 'name']} rules={[{ required: true, message: t('common.required') }]}><Input placeholder={t('rewards.name')} style={{ width: 150 }} /></Form.Item>
                  <Form.Item name={[f.name, 'weight']} rules={[{ required: true, message: t('common.required') }]}><InputNumber min={0} placeholder={t('rewards.lotteries.weight')} style={{ width: 90 }} /></Form.Item>
                  <Typography.Text type="secondary" style={{ lineHeight: '32px', width: 60, display: 'inline-block' }} data-testid="prize-odds">{oddsOf(prizes[f.name]?.weight)}</Typography.Text>
                  <Form.Item name={[f.name, 'stock']} tooltip={t('rewards.lotteries.stockHelp')}><InputNumber min={0} placeholder={t('rewards.lotteries.stock')} style={{ width: 100 }} /></Form.Item>
                  <Form.Item name={[f.name, 'couponTemplateId']}><Input placeholder={t('rewards.lotteries.couponTemplateId')} style={{ width: 150 }} /></Form.Item>
                  <Form.Item name={[f.name, 'points']}><InputNumber min={1} placeholder={t('rewards.lotteries.points')} style={{ width: 90 }} /></Form.Item>
                  <Button icon={<DeleteOutlined />} onClick={() => remove(f.name)} disabled={fields.length <= 1} />
                </Space>
              ))}
              <Button icon={<PlusOutlined />} onClick={() => add({ key: `p${fields.length + 1}`, name: '', weight: 1, stock: 100 })}>{t('rewards.lotteries.addPrize')}</Button>
            </>
          )}
        </Form.List>
        <div style={{ marginTop: 16 }}><Typography.Text strong>{t('rewards.lotteries.pools')}</Typography.Text></div>
        <Typography.Paragraph type="secondary">{t('rewards.lotteries.poolsHelp')}</Typography.Paragraph>
        <Form.List name="pools">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Card key={f.key} size="small" style={{ marginBottom: 8 }} extra={<Button size="small" icon={<DeleteOutlined />} onClick={() => remove(f.name)} />}
                  title={<Form.Item name={[f.name, 'segmentId']} rules={[{ required: true, message: t('common.required') }]} style={{ margin: 0 }}>
                    <Select placeholder={t('rewards.lotteries.poolSegment')} style={{ width: 260 }} showSearch optionFilterProp="label" options={(segments.data?.items ?? []).map((sg) => ({ value: sg.id, label: sg.name }))} />
                  </Form.Item>}>
                  <Space wrap>
                    {prizeKeys.map((k) => (
                      <Form.Item key={k} name={[f.name, 'weights', k]} label={k} style={{ marginBottom: 0 }}><InputNumber min={0} style={{ width: 90 }} /></Form.Item>
                    ))}
                    <Form.Item name={[f.name, 'noPrizeWeight']} label={t('rewards.lotteries.noPrize')} style={{ marginBottom: 0 }}><InputNumber min={0} style={{ width: 90 }} /></Form.Item>
                  </Space>
                </Card>
              ))}
              <Button icon={<PlusOutlined />} onClick={() => add({ weights: {} })}>{t('rewards.lotteries.addPool')}</Button>
            </>
          )}
        </Form.List>
      </Form>
    </Modal>
  );
}
