import { Card, Col, Descriptions, Row, Skeleton, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useInterval } from '../common/use-interval.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { lotteryStatusColor } from './LotteriesPage.tsx';
import { H5LinkCard, KillButton, pct, StockTopUp } from './shared.tsx';
import type { DrawRecord, KillSwitch, Lottery, LotteryStats, Prize } from './types.ts';

/** A lottery: the prize table with each prize's probability as %, pools, stock and live stats (every 5 s), the draw ledger, H5 links and the kill switch. */
export function LotteryDetailPage() {
  const { id = '' } = useParams();
  const { t, lang } = useI18n();
  const lot = useAsync(() => api.get<Lottery>(`/v1/lotteries/${encodeURIComponent(id)}`), [id]);
  const stats = useAsync(() => api.get<LotteryStats>(`/v1/lotteries/${encodeURIComponent(id)}/stats`), [id]);
  const draws = useAsync(() => api.get<Page<DrawRecord>>(`/v1/lotteries/${encodeURIComponent(id)}/draws?limit=50`), [id]);
  const kills = useAsync(() => api.get<Page<KillSwitch>>('/v1/kill-switches?limit=1000'), []);
  useInterval(() => { void stats.reload(); void draws.reload(); }, 5000, true);

  if (lot.error) return <ErrorAlert error={toShownError(lot.error)} />;
  if (!lot.data) return <Skeleton active />;
  const l = lot.data;
  const byKey = new Map((stats.data?.prizes ?? []).map((p) => [p.key, p]));
  const killed = (kills.data?.items ?? []).some((k) => k.type === 'lottery' && k.id === l.id);
  const nameOf = new Map(l.prizes.map((p) => [p.key, p.name]));
  return (
    <>
      <div className="page-header">
        <Space>
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="lottery-title">{l.name}</Typography.Title>
          <Tag color={lotteryStatusColor[l.status]}>{t(`rewards.lotteries.status.${l.status}`)}</Tag>
          {killed ? <Tag color="red">{t('rewards.killed')}</Tag> : null}
        </Space>
        <KillButton type="lottery" id={l.id} killed={killed} onChange={() => void kills.reload()} />
      </div>
      <Card style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={{ xs: 1, md: 2, lg: 3 }}>
          <Descriptions.Item label={t('rewards.lotteries.period')}>{formatTime(l.startAt, lang)} – {formatTime(l.endAt, lang)}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.lotteries.costPerDraw')}>{l.costPerDraw}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.lotteries.perUserDailyDraws')}>{l.perUserDailyDraws ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.lotteries.pointsPerChance')}>{l.pointsPerChance ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('rewards.coupons.campaign')}>{l.campaignId ?? '—'}</Descriptions.Item>
          <Descriptions.Item label="ID"><Typography.Text copyable>{l.id}</Typography.Text></Descriptions.Item>
        </Descriptions>
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={16}>
          <Card title={t('rewards.lotteries.prizeTable')} extra={stats.data ? <Space size="large"><Statistic title={t('rewards.lotteries.draws')} value={stats.data.draws} data-testid="stat-draws" /><Statistic title={t('rewards.lotteries.wins')} value={stats.data.wins} /></Space> : null}>
            <Table<Prize>
              rowKey="key" size="small" pagination={false} dataSource={l.prizes} data-testid="prize-table" scroll={{ x: true }}
              onRow={(p) => ({ 'data-key': p.key } as React.HTMLAttributes<HTMLElement>)}
              columns={[
                { title: t('rewards.lotteries.prizeKey'), dataIndex: 'key' },
                { title: t('rewards.name'), dataIndex: 'name' },
                { title: t('rewards.lotteries.weight'), dataIndex: 'weight', align: 'right' },
                { title: t('rewards.lotteries.probability'), dataIndex: 'probability', align: 'right', render: (v: number) => <span data-testid="prize-probability">{pct(v)}</span> },
                {
                  title: t('rewards.lotteries.stock'), dataIndex: 'stock', align: 'right', render: (v: number | null, p) => (v === null ? t('rewards.lotteries.unlimited') : (
                    <Space>{v.toLocaleString()}<StockTopUp current={v} testId={`prize-stock-topup-${p.key}`} onAdd={async (total) => { await api.patch(`/v1/lotteries/${encodeURIComponent(l.id)}`, { prizes: [{ key: p.key, stock: total }] }); await Promise.all([lot.reload(), stats.reload()]); }} /></Space>
                  )),
                },
                { title: t('rewards.lotteries.won'), key: 'won', align: 'right', render: (_: unknown, p) => <span data-testid="prize-won">{byKey.get(p.key)?.won ?? 0}</span> },
                { title: t('rewards.lotteries.remaining'), key: 'remaining', align: 'right', render: (_: unknown, p) => { const r = byKey.get(p.key)?.remaining; return r === null || r === undefined ? '—' : r.toLocaleString(); } },
                { title: t('rewards.lotteries.reward'), key: 'reward', render: (_: unknown, p) => (p.couponTemplateId ? <Tag>{p.couponTemplateId}</Tag> : p.points ? t('rewards.lotteries.pointsN', { n: p.points }) : '—') },
              ]}
              summary={() => (
                <Table.Summary.Row>
                  <Table.Summary.Cell index={0} colSpan={2}>{t('rewards.lotteries.noPrize')}</Table.Summary.Cell>
                  <Table.Summary.Cell index={2} align="right">{l.noPrizeWeight}</Table.Summary.Cell>
                  <Table.Summary.Cell index={3} align="right"><span data-testid="no-prize-probability">{pct(l.noPrizeProbability)}</span></Table.Summary.Cell>
                  <Table.Summary.Cell index={4} colSpan={4} />
                </Table.Summary.Row>
              )}
            />
          </Card>
          {l.pools.length > 0 ? (
            <Card title={t('rewards.lotteries.pools')} style={{ marginTop: 16 }}>
              {l.pools.map((pool, i) => (
                <Descriptions key={pool.segmentId} size="small" title={t('rewards.lotteries.poolN', { n: i + 1, segment: pool.segmentId })} column={1} style={{ marginBottom: 12 }}>
                  {pool.prizes.map((p) => <Descriptions.Item key={p.key} label={nameOf.get(p.key) ?? p.key}>{p.weight} · {pct(p.probability)}</Descriptions.Item>)}
                  <Descriptions.Item label={t('rewards.lotteries.noPrize')}>{pool.noPrizeWeight} · {pct(pool.noPrizeProbability)}</Descriptions.Item>
                </Descriptions>
              ))}
            </Card>
          ) : null}
        </Col>
        <Col xs={24} lg={8}>
          <H5LinkCard page="lottery" pageId={l.id} campaignId={l.campaignId} />
          {stats.data ? (
            <Card title={t('rewards.lotteries.delivery')} size="small" style={{ marginTop: 16 }}>
              <Space size="large">
                <Statistic title={t('rewards.lotteries.delivered')} value={stats.data.delivery.delivered} />
                <Statistic title={t('rewards.lotteries.pending')} value={stats.data.delivery.pending} />
                <Statistic title={t('rewards.lotteries.failed')} value={stats.data.delivery.failed} />
              </Space>
            </Card>
          ) : null}
        </Col>
      </Row>
      <Card title={t('rewards.lotteries.drawLedger')} style={{ marginTop: 16 }}>
        <ErrorAlert error={draws.error ? toShownError(draws.error) : null} />
        <Table<DrawRecord>
          rowKey="drawId" size="small" dataSource={draws.data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }} data-testid="draw-ledger"
          columns={[
            { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
            { title: t('rewards.externalId'), dataIndex: 'externalId' },
            { title: t('rewards.lotteries.prize'), dataIndex: 'prizeKey', render: (v: string | null) => (v ? nameOf.get(v) ?? v : <Typography.Text type="secondary">{t('rewards.lotteries.noPrize')}</Typography.Text>) },
            { title: t('rewards.lotteries.delivery'), dataIndex: 'delivery', render: (v: string) => <Tag color={v === 'delivered' ? 'green' : v === 'failed' ? 'red' : v === 'pending' ? 'orange' : 'default'}>{v}</Tag> },
            { title: t('rewards.lotteries.reward'), key: 'reward', render: (_: unknown, d) => d.couponCode ?? (d.points ? t('rewards.lotteries.pointsN', { n: d.points }) : '—') },
            { title: t('rewards.lotteries.error'), dataIndex: 'error', render: (v: string | null) => v ?? '' },
          ]}
        />
      </Card>
    </>
  );
}
