import { PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Descriptions, Empty, Skeleton, Space, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { CampaignWithTasks, Page, Segment, Template } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatFen } from '../common/money.ts';
import { useAsync } from '../common/use-async.ts';
import { useInterval } from '../common/use-interval.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';
import { CampaignActions } from './CampaignActions.tsx';
import { CampaignResultsPanel } from './CampaignResultsPanel.tsx';
import { StatusTag } from './status.tsx';
import { TaskReportView } from './TaskReportView.tsx';

/** A campaign: its settings, lifecycle buttons, what it earned, its tasks and each task's live report. */
export function CampaignDetailPage() {
  const { t, lang } = useI18n();
  const id = useParams().id ?? '';
  const campaign = useAsync(() => api.get<CampaignWithTasks>(`/v1/campaigns/${id}`), [id]);
  const templates = useAsync(() => api.get<Page<Template>>('/v1/templates?limit=500'), []);
  const segments = useAsync(() => api.get<Page<Segment>>('/v1/segments?limit=500'), []);
  const navigate = useNavigate();
  const [refreshKey, setRefreshKey] = useState(0);
  const c = campaign.data;
  const live = c?.status === 'approved' || c?.status === 'running';
  // With required approval, tasks join a campaign only before it is approved (the server refuses later ones).
  const { me } = useMe();
  const tasksClosed = c?.status === 'ended' || (me.workspace.requireApproval && !['draft', 'pending_approval'].includes(c?.status ?? ''));

  // The status moves on its own (approved → running → ended at endAt), so follow it while live.
  useInterval(() => void campaign.reload(), 3000, live);

  const templateById = useMemo(() => new Map((templates.data?.items ?? []).map((x) => [x.id, x])), [templates.data]);
  const segmentById = useMemo(() => new Map((segments.data?.items ?? []).map((x) => [x.id, x])), [segments.data]);

  if (!c) return campaign.error ? <ErrorAlert error={toShownError(campaign.error)} /> : <Skeleton active />;

  const afterChange = () => {
    void campaign.reload();
    setRefreshKey((k) => k + 1);
  };

  return (
    <>
      <div className="page-header">
        <Space wrap>
          <Typography.Title level={3}><Link to="/campaigns">{t('campaigns.title')}</Link> / <span data-testid="campaign-title">{c.name}</span></Typography.Title>
          <StatusTag status={c.status} />
        </Space>
        <CampaignActions campaign={c} onChanged={afterChange} />
      </div>
      {c.rejectReason && c.status === 'draft' && <Alert type="warning" showIcon title={t('campaigns.rejected')} description={c.rejectReason} style={{ marginBottom: 16 }} />}
      <Card style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} items={[
          { key: 'goal', label: t('campaigns.goal'), children: t(`goal.${c.goal}`) },
          { key: 'start', label: t('campaigns.startAt'), children: formatTime(c.startAt, lang) },
          { key: 'end', label: t('campaigns.endAt'), children: formatTime(c.endAt, lang) },
          { key: 'conversion', label: t('campaigns.conversion'), children: t('campaigns.conversionText', { event: c.conversion.event, days: c.conversion.windowDays }) },
          { key: 'budget', label: t('campaigns.budget'), children: c.budget ? formatFen(c.budget.amount) : '—' },
          { key: 'createdBy', label: t('campaigns.createdBy'), children: c.createdBy },
          { key: 'approvedBy', label: t('campaigns.approvedBy'), children: c.approvedBy ?? '—' },
        ]} />
      </Card>
      <CampaignResultsPanel campaignId={c.id} refreshKey={refreshKey} />
      <div className="page-header">
        <Typography.Title level={4} style={{ margin: 0 }}>{t('tasks.title')}</Typography.Title>
        <Button icon={<PlusOutlined />} onClick={() => navigate(`/campaigns/${c.id}/tasks/new`)} disabled={tasksClosed} title={tasksClosed && c.status !== 'ended' ? t('tasks.addClosed') : undefined} data-testid="add-task">{t('tasks.add')}</Button>
      </div>
      {c.tasks.length === 0 ? <Card><Empty description={t('tasks.none')} /></Card> : (
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          {c.tasks.map((task) => (
            <TaskReportView key={task.id} task={task} template={templateById.get(task.templateId)} segment={task.audience ? segmentById.get(task.audience.segmentId) : undefined} live={live} refreshKey={refreshKey} />
          ))}
        </Space>
      )}
    </>
  );
}
