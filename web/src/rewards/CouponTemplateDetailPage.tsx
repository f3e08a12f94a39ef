import { Card, Col, Descriptions, Row, Skeleton, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatFen } from '../common/money.ts';
import { useAsync } from '../common/use-async.ts';
import { useInterval } from '../common/use-interval.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { offerText } from './CouponTemplatesPage.tsx';
import { Funnel, H5LinkCard, KillButton, StockTopUp } from './shared.tsx';
import type { Budget, CouponStats, CouponTemplate, LedgerEntry } from './types.ts';

/** A coupon template: its rules, the funnel stock → granted → redeemed (live), its budget ledger, H5 links, kill switch. */
export function CouponTemplateDetailPage() {
  const { id = '' } = useParams();
  const { t, lang } = useI18n();
  const tpl = useAsync(() => api.get<CouponTemplate>(`/v1/coupon-templates/${encodeURIComponent(id)}`), [id]);
  const stats = useAsync(() => api.get<CouponStats>(`/v1/coupon-templates/${encodeURIComponent(id)}/stats`), [id]);
  const campaignId = tpl.data?.campaignId ?? null;
  const budget = useAsync(() => (campaignId ? api.get<Budget>(`/v1/campaigns/${campaignId}/budget?limit=100`) : Promise.resolve(null)), [campaignId]);
  useInterval(() => void stats.reload(), 5000, true);

  if (tpl.error) return <ErrorAlert error={toShownError(tpl.error)} />;
  if (!tpl.data) return <Skeleton active />;
  const c = tpl.data;
  const s = stats.data;
  return (
    <>
      <div className="page-header">
        <Space>
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="coupon-title">{c.name}</Typography.Title>
          {c.killed ? <Tag color="red">{t('rewards.killed')}</Tag> : <Tag color="green">{t('rewards.active')}</Tag>}
        </Space>
        <KillButton type="coupon_template" id={c.id} killed={c.killed} onChange={() => void tpl.reload()} />
      </div>
      <Card style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={{ xs: 1, md: 2, lg: 3 }}>
          <Descriptions.Item label={t('rewards.coupons.offer')}>{offerText(c, t)}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.coupons.faceValue')}>{formatFen(c.faceValue)}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.coupons.totalStock')}>
            <Space>{c.totalStock.toLocaleString()}<StockTopUp current={c.totalStock} testId="coupon-stock-topup" onAdd={async (total) => { await api.patch(`/v1/coupon-templates/${encodeURIComponent(c.id)}`, { totalStock: total }); await Promise.all([tpl.reload(), stats.reload()]); }} /></Space>
          </Descriptions.Item>
          <Descriptions.Item label={t('rewards.coupons.perUserLimit')}>{c.perUserLimit ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.coupons.perUserDailyLimit')}>{c.perUserDailyLimit ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.coupons.claimWindow')}>{formatTime(c.claimStart, lang)} – {formatTime(c.claimEnd, lang)}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.coupons.validity')}>{'days' in c.validity ? t('rewards.coupons.validDays', { days: c.validity.days }) : `${formatTime(c.validity.from, lang)} – ${formatTime(c.validity.to, lang)}`}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.coupons.campaign')}>{c.campaignId ?? '—'}</Descriptions.Item>
          <Descriptions.Item label="ID"><Typography.Text copyable>{c.id}</Typography.Text></Descriptions.Item>
        </Descriptions>
      </Card>
      <ErrorAlert error={stats.error ? toShownError(stats.error) : null} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={14}>
          <Card title={t('rewards.coupons.funnel')} data-testid="coupon-stats">
            {s ? (
              <>
                <Row gutter={16} style={{ marginBottom: 16 }}>
                  <Col span={6}><Statistic title={t('rewards.coupons.granted')} value={s.granted} data-testid="stat-granted" /></Col>
                  <Col span={6}><Statistic title={t('rewards.coupons.redeemed')} value={s.redeemed} data-testid="stat-redeemed" /></Col>
                  <Col span={6}><Statistic title={t('rewards.coupons.expired')} value={s.expired} /></Col>
                  <Col span={6}><Statistic title={t('rewards.coupons.remaining')} value={s.remaining} data-testid="stat-remaining" /></Col>
                </Row>
                <Funnel steps={[
                  { key: 'stock', label: t('rewards.coupons.totalStock'), value: s.totalStock },
                  { key: 'granted', label: t('rewards.coupons.granted'), value: s.granted },
                  { key: 'redeemed', label: t('rewards.coupons.redeemed'), value: s.redeemed },
                ]} />
                <Descriptions size="small" column={2} style={{ marginTop: 12 }}>
                  <Descriptions.Item label={t('rewards.coupons.discountTotal')}>{formatFen(s.discountTotal)}</Descriptions.Item>
                  <Descriptions.Item label={t('rewards.coupons.orderAmountTotal')}>{formatFen(s.orderAmountTotal)}</Descriptions.Item>
                </Descriptions>
              </>
            ) : <Skeleton active />}
          </Card>
        </Col>
        <Col xs={24} lg={10}><H5LinkCard page="coupon" pageId={c.id} campaignId={c.campaignId} /></Col>
      </Row>
      {budget.data ? (
        <Card title={t('rewards.budget.ledger')} style={{ marginTop: 16 }}>
          <LedgerTable rows={budget.data.ledger} />
        </Card>
      ) : null}
    </>
  );
}

export function LedgerTable({ rows }: { rows: LedgerEntry[] }) {
  const { t, lang } = useI18n();
  return (
    <Table<LedgerEntry>
      rowKey="id" size="small" dataSource={rows} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }} data-testid="budget-ledger"
      columns={[
        { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
        { title: t('rewards.budget.kind'), dataIndex: 'kind', render: (v: string) => <Tag>{v}</Tag> },
        { title: t('rewards.budget.delta'), dataIndex: 'delta', align: 'right', render: (v: number) => formatFen(v) },
        { title: t('rewards.points.amount'), dataIndex: 'amount', align: 'right', render: (v: number) => (v ? formatFen(v) : '—') },
        { title: t('rewards.budget.coupon'), dataIndex: 'couponId', render: (v: string | null) => v ?? '—' },
        { title: t('rewards.budget.actor'), dataIndex: 'actor', render: (v: string | null) => v ?? '—' },
        { title: t('rewards.budget.reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '—' },
      ]}
    />
  );
}
