import { EditOutlined, ReloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Descriptions, Row, Skeleton, Space, Statistic, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useInterval } from '../common/use-interval.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { ExportCard } from './ExportCard.tsx';
import { HistoryChart } from './HistoryChart.tsx';
import { RefreshSettings } from './RefreshSettings.tsx';
import type { HistoryPoint, SegmentFull } from './segment-api.ts';
import { SegmentMembers } from './SegmentMembers.tsx';
import { SegmentStatusTag } from './SegmentStatusTag.tsx';

/**
 * A segment: count, status, refresh settings, history of snapshot counts, definition, export
 * and members. "Refresh" recomputes now (not for "once" or lists).
 */
export function SegmentDetailPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const id = useParams().id ?? '';
  const seg = useAsync(() => api.get<SegmentFull>(`/v1/segments/${id}`), [id]);
  const [refreshing, setRefreshing] = useState(false);
  const s = seg.data;
  const version = `${s?.status ?? ''}:${s?.computedAt ?? ''}`;
  const history = useAsync(() => api.get<Page<HistoryPoint>>(`/v1/segments/${id}/history?limit=1000`), [id, version]);

  useInterval(() => void seg.reload(), 1000, s?.status === 'computing');

  const refresh = async () => {
    setRefreshing(true);
    try {
      await api.post(`/v1/segments/${id}/refresh`);
      await seg.reload();
    } catch (err) {
      void message.error(toShownError(err).message);
    } finally {
      setRefreshing(false);
    }
  };

  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}><Link to="/segments">{t('segments.title')}</Link> / {s?.name ?? id}</Typography.Title>
        {s && (
          <Space>
          {s.kind !== 'list' && <Link to={`/segments/new?edit=${s.id}`}><Button icon={<EditOutlined />} data-testid="segment-edit">{t('segments.edit')}</Button></Link>}
          <Tooltip title={s.refresh === 'once' ? t('segments.onceNoRefresh') : undefined}>
            <Button icon={<ReloadOutlined />} onClick={() => void refresh()} loading={refreshing} disabled={s.refresh === 'once' || s.status === 'computing'} data-testid="segment-refresh">
              {t('segments.refreshNow')}
            </Button>
          </Tooltip>
          </Space>
        )}
      </div>
      <ErrorAlert error={seg.error ? toShownError(seg.error) : null} />
      {!s ? (seg.error ? null : <Skeleton active />) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} md={8}>
            <Card>
              <div data-testid="segment-count" data-status={s.status}>
                <Statistic title={t('segments.count')} value={s.count ?? '—'} />
              </div>
            </Card>
          </Col>
          <Col xs={24} md={16}>
            <Card>
              <Descriptions column={{ xs: 1, sm: 2 }} size="small" items={[
                { key: 'status', label: t('segments.status'), children: <SegmentStatusTag status={s.status} /> },
                { key: 'kind', label: t('segments.kind'), children: t(`segments.kind.${s.kind ?? 'definition'}`) },
                { key: 'refresh', label: t('segments.refresh'), children: s.refresh === 'daily' ? `${t('refresh.daily')} ${s.refreshAt}` : t(`refresh.${s.refresh}`) },
                { key: 'computedAt', label: t('segments.computedAt'), children: formatTime(s.computedAt, lang) },
                { key: 'createdAt', label: t('common.createdAt'), children: formatTime(s.createdAt, lang) },
                ...(s.error ? [{ key: 'error', label: t('segments.error'), children: <Typography.Text type="danger" data-testid="segment-error">{s.error}</Typography.Text> }] : []),
              ]} />
            </Card>
          </Col>
          <Col xs={24} lg={14}>
            <Card title={t('segments.history')} size="small">
              {history.data ? <HistoryChart points={history.data.items} /> : <Skeleton active />}
            </Card>
          </Col>
          <Col xs={24} lg={10}>
            <Card title={t('segments.refreshSettings')} size="small">
              <RefreshSettings key={`${s.refresh}:${s.refreshAt}`} segment={s} onSaved={seg.reload} />
            </Card>
          </Col>
          <Col span={24}>
            <Card title={t('segments.definition')} size="small">
              <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12 }} data-testid="segment-definition">{JSON.stringify(s.definition, null, 2)}</pre>
            </Card>
          </Col>
          <Col span={24}>
            <Card title={t('segments.export')} size="small">
              <ExportCard segmentId={s.id} segmentName={s.name} />
            </Card>
          </Col>
          <Col span={24}>
            <Card title={t('segments.members')}>
              <SegmentMembers segmentId={s.id} version={version} />
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}
