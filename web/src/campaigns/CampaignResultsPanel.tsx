import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Col, Divider, Row, Skeleton, Space, Statistic, Table, Tooltip, Typography } from 'antd';
import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { CampaignCouponLine, CampaignReport, CouponTemplateSummary, Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatFen } from '../common/money.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { Funnel, pct } from '../rewards/shared.tsx';
import { CampaignExportButton } from './CampaignExportButton.tsx';

interface Props {
  campaignId: string;
  /** Changes when the page wants fresh figures now (after a lifecycle action). */
  refreshKey: number;
}

/** One key figure, findable by `data-metric` like the task cards' figures. */
function Figure({ name, title, value, tip }: { name: string; title: string; value: number | string; tip?: string }) {
  const stat = <Statistic title={title} value={value} />;
  return <div data-metric={name}>{tip ? <Tooltip title={tip}>{stat}</Tooltip> : stat}</div>;
}

/**
 * What the campaign earned (GET /v1/campaigns/{id}/report): the user funnel targeted → reached →
 * opened → converted, the orders attributed within the conversion window (first orders vs repeat
 * buyers), its coupons and ROI, and the CSVs behind them. Loaded with the page and on Refresh,
 * not polled like the task cards: it is one heavier report over all of the campaign's tasks.
 */
export function CampaignResultsPanel({ campaignId, refreshKey }: Props) {
  const { t } = useI18n();
  const report = useAsync(() => api.get<CampaignReport>(`/v1/campaigns/${encodeURIComponent(campaignId)}/report`), [campaignId]);
  useEffect(() => { if (refreshKey > 0) void report.reload(); }, [refreshKey]);
  const r = report.data;

  return (
    <section data-testid="campaign-results" data-state={report.loading ? 'loading' : report.error ? 'error' : 'ready'} style={{ marginBottom: 16 }}>
      <div className="page-header">
        <div>
          <Typography.Title level={4} style={{ margin: 0 }}>{t('results.title')}</Typography.Title>
          {r && <Typography.Text type="secondary" data-testid="results-rule">{t('results.rule', { event: r.conversion.event, days: r.conversion.windowDays })}</Typography.Text>}
        </div>
        <Space wrap>
          <CampaignExportButton campaignId={campaignId} type="messages" />
          <CampaignExportButton campaignId={campaignId} type="conversions" />
          <Button icon={<ReloadOutlined />} loading={report.loading} onClick={() => void report.reload()} data-testid="results-refresh">{t('results.refresh')}</Button>
        </Space>
      </div>
      {/* A failed refresh keeps the last figures below its message. */}
      <ErrorAlert error={report.error ? toShownError(report.error) : null} />
      {r ? <ResultsBody r={r} /> : !report.error && <Card><Skeleton active /></Card>}
    </section>
  );
}

function ResultsBody({ r }: { r: CampaignReport }) {
  const { t } = useI18n();
  // Figures wrap by width rather than a fixed span: five on the first line, four on the second.
  const figure = '1 0 130px';
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={10}>
        <Card size="small" title={t('results.funnel')} style={{ height: '100%' }}>
          <Funnel steps={[
            { key: 'targeted', label: t('results.targeted'), value: r.funnel.targeted },
            { key: 'reached', label: t('results.reached'), value: r.funnel.reached },
            { key: 'opened', label: t('results.opened'), value: r.funnel.opened },
            { key: 'converted', label: t('results.converted'), value: r.funnel.converted },
          ]} />
          <Typography.Text type="secondary">{t('results.funnelHint')}</Typography.Text>
        </Card>
      </Col>
      <Col xs={24} lg={14}>
        <Card size="small" title={t('results.earned')} style={{ height: '100%' }}>
          <Row gutter={[16, 16]}>
            <Col flex={figure}><Figure name="payers" title={t('results.payers')} value={r.payers} /></Col>
            <Col flex={figure}><Figure name="orders" title={t('results.orders')} value={r.orders} /></Col>
            <Col flex={figure}><Figure name="gmv" title={t('results.gmv')} value={formatFen(r.gmv)} /></Col>
            <Col flex={figure}><Figure name="couponDiscount" title={t('results.couponDiscount')} value={formatFen(r.couponDiscount)} /></Col>
            <Col flex={figure}><Figure name="roi" title={t('results.roi')} value={r.roi === null ? '—' : r.roi.toFixed(2)} tip={t('results.roiHint')} /></Col>
          </Row>
          <Divider style={{ margin: '12px 0' }} />
          <Row gutter={[16, 16]}>
            <Col flex={figure}><Figure name="firstOrderUsers" title={t('results.firstOrderUsers')} value={r.firstOrderUsers} tip={t('results.buyersHint')} /></Col>
            <Col flex={figure}><Figure name="firstOrderGmv" title={t('results.firstOrderGmv')} value={formatFen(r.firstOrderGmv)} /></Col>
            <Col flex={figure}><Figure name="repeatUsers" title={t('results.repeatUsers')} value={r.repeatUsers} tip={t('results.buyersHint')} /></Col>
            <Col flex={figure}><Figure name="repeatGmv" title={t('results.repeatGmv')} value={formatFen(r.repeatGmv)} /></Col>
          </Row>
        </Card>
      </Col>
      <Col span={24}>
        <Card size="small" title={t('results.coupons')}>
          <CouponTable lines={r.coupons} />
        </Card>
      </Col>
    </Row>
  );
}

/** One line per coupon template, named from the list the task wizard also loads. */
function CouponTable({ lines }: { lines: CampaignCouponLine[] }) {
  const { t } = useI18n();
  // Only fetched when there are lines; a server without the coupons API (or a role that cannot
  // read it) leaves the ids, as in the task wizard.
  const templates = useAsync(async () => (lines.length > 0 ? api.get<Page<CouponTemplateSummary>>('/v1/coupon-templates?limit=500').then((p) => p.items, () => null) : null), [lines.length > 0]);
  const nameOf = (id: string) => templates.data?.find((x) => x.id === id)?.name ?? id;
  return (
    <Table<CampaignCouponLine>
      rowKey="templateId" size="small" pagination={false} dataSource={lines} data-testid="results-coupons"
      locale={{ emptyText: t('results.noCoupons') }}
      columns={[
        { title: t('results.couponTemplate'), dataIndex: 'templateId', render: (id: string) => <Link to={`/rewards/coupons/${encodeURIComponent(id)}`} data-testid="coupon-template">{nameOf(id)}</Link> },
        { title: t('results.granted'), dataIndex: 'granted', align: 'right', render: (n: number) => n.toLocaleString() },
        { title: t('results.redeemed'), dataIndex: 'redeemed', align: 'right', render: (n: number) => n.toLocaleString() },
        { title: t('results.redeemRate'), dataIndex: 'redeemRate', align: 'right', render: (rate: number) => pct(rate) },
        { title: t('results.couponGmv'), dataIndex: 'couponGmv', align: 'right', render: (fen: number) => formatFen(fen) },
        { title: t('results.discount'), dataIndex: 'discount', align: 'right', render: (fen: number) => formatFen(fen) },
      ]}
    />
  );
}
