import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Table, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { SegmentFull } from './segment-api.ts';
import { SegmentStatusTag } from './SegmentStatusTag.tsx';

/** Segments, newest first. */
export function SegmentsPage() {
  const { t, lang } = useI18n();
  const { data, error, loading } = useAsync(() => api.get<Page<SegmentFull>>('/v1/segments?limit=200'), []);
  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}>{t('segments.title')}</Typography.Title>
        <Link to="/segments/new"><Button type="primary" icon={<PlusOutlined />} data-testid="new-segment">{t('segments.new')}</Button></Link>
      </div>
      <ErrorAlert error={error ? toShownError(error) : null} />
      <Card>
        <Table<SegmentFull>
          rowKey="id" loading={loading} dataSource={data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }}
          columns={[
            { title: t('segments.name'), dataIndex: 'name', render: (v: string, s) => <Link to={`/segments/${s.id}`}>{v}</Link> },
            { title: t('segments.kind'), dataIndex: 'kind', render: (v: SegmentFull['kind']) => t(`segments.kind.${v ?? 'definition'}`) },
            { title: t('segments.status'), dataIndex: 'status', render: (_: unknown, s) => <SegmentStatusTag status={s.status} /> },
            { title: t('segments.count'), dataIndex: 'count', align: 'right', render: (v: number | null) => v ?? '—' },
            { title: t('segments.refresh'), dataIndex: 'refresh', render: (v: SegmentFull['refresh']) => t(`refresh.${v}`) },
            { title: t('segments.computedAt'), dataIndex: 'computedAt', render: (v: string | null) => formatTime(v, lang) },
          ]}
        />
      </Card>
    </>
  );
}
