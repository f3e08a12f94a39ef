import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Select, Table, Typography } from 'antd';
import { Link, useSearchParams } from 'react-router-dom';
import { api, query } from '../api/client.ts';
import { campaignStatuses, type Campaign, type CampaignStatus, type Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { StatusTag } from './status.tsx';

/** Campaigns, newest first, filterable by status. */
export function CampaignsPage() {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? undefined) as CampaignStatus | undefined;
  const { data, error, loading } = useAsync(() => api.get<Page<Campaign>>(`/v1/campaigns${query({ limit: 200, status })}`), [status]);
  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}>{t('campaigns.title')}</Typography.Title>
        <Link to="/campaigns/new"><Button type="primary" icon={<PlusOutlined />} data-testid="new-campaign">{t('campaigns.new')}</Button></Link>
      </div>
      <ErrorAlert error={error ? toShownError(error) : null} />
      <Card>
        <Select<CampaignStatus>
          allowClear
          placeholder={t('campaigns.filterStatus')}
          value={status}
          onChange={(v) => setParams(v ? { status: v } : {})}
          style={{ width: 200, marginBottom: 16 }}
          options={campaignStatuses.map((s) => ({ value: s, label: t(`status.${s}`) }))}
        />
        <Table<Campaign>
          rowKey="id" loading={loading} dataSource={data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }}
          columns={[
            { title: t('campaigns.name'), dataIndex: 'name', render: (v: string, c) => <Link to={`/campaigns/${c.id}`}>{v}</Link> },
            { title: t('campaigns.status'), dataIndex: 'status', render: (s: CampaignStatus) => <StatusTag status={s} /> },
            { title: t('campaigns.goal'), dataIndex: 'goal', render: (g: Campaign['goal']) => t(`goal.${g}`) },
            { title: t('campaigns.startAt'), dataIndex: 'startAt', render: (v: string) => formatTime(v, lang) },
            { title: t('campaigns.endAt'), dataIndex: 'endAt', render: (v: string) => formatTime(v, lang) },
          ]}
        />
      </Card>
    </>
  );
}
