import { Card, Col, Collapse, Descriptions, Progress, Row, Space, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { Schedule, Segment, Task, TaskEstimate, TaskReport, TaskRun, Template, VariantReport } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { formatFen } from '../common/money.ts';
import { useAsync } from '../common/use-async.ts';
import { useInterval } from '../common/use-interval.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { SchedulePreview } from './SchedulePreview.tsx';

interface Props {
  task: Task;
  template?: Template;
  segment?: Segment;
  /** Refresh the report every few seconds (the campaign is approved or running). */
  live: boolean;
  /** Changes when the page wants a fresh report now (after an action). */
  refreshKey: number;
}

type CountMetric = 'targeted' | 'sent' | 'delivered' | 'clicked' | 'converted';

const knownReasons = ['frequency', 'unsubscribed', 'blacklisted', 'noAddress', 'control'] as const;
type KnownReason = (typeof knownReasons)[number];
const runStatuses = ['scheduled', 'sending', 'done', 'failed'] as const;
const isKnownRunStatus = (s: string): s is (typeof runStatuses)[number] => (runStatuses as readonly string[]).includes(s);
const runColors: Record<string, string> = { scheduled: 'default', sending: 'processing', done: 'success', failed: 'error' };
const isKnownReason = (k: string): k is KnownReason => (knownReasons as readonly string[]).includes(k);

function Metric({ name, title, value, tip }: { name: string; title: string; value: number | string; tip?: string }) {
  const stat = <Statistic title={title} value={value} />;
  return <div data-metric={name}>{tip ? <Tooltip title={tip}>{stat}</Tooltip> : stat}</div>;
}

/** One task with its report (GET /v1/tasks/{id}/report): targeted → sent → delivered → clicked → converted, revenue. */
export function TaskReportView({ task, template, segment, live, refreshKey }: Props) {
  const { t, lang } = useI18n();
  const report = useAsync(() => api.get<TaskReport>(`/v1/tasks/${task.id}/report`), [task.id]);
  useInterval(() => void report.reload(), 3000, live);
  // SMS tasks: what the audience costs at the provider's unit price (absent on servers without the route).
  const estimate = useAsync(async () => (task.channel === 'sms' ? api.get<TaskEstimate>(`/v1/tasks/${task.id}/estimate`).catch(() => null) : null), [task.id]);
  const money = (minor: number, currency: string) => `${(minor / 100).toLocaleString('en-US', { maximumFractionDigits: 4 })} ${currency}`;
  const est = estimate.data;
  useEffect(() => { if (refreshKey > 0) void report.reload(); }, [refreshKey]);

  const r = report.data;
  // The task's own status stays "scheduled"; its runs tell whether the send is done.
  const lastRun = r?.runs[r.runs.length - 1];
  const suppressed = r ? Object.values(r.suppressed).reduce((a, b) => a + b, 0) : 0;
  const suppressedTip = r ? Object.entries(r.suppressed).filter(([, n]) => n > 0).map(([k, n]) => `${isKnownReason(k) ? t(`suppressed.${k}`) : k}: ${n}`).join(' · ') : '';
  const counts: { key: CountMetric; label: string }[] = [
    { key: 'targeted', label: t('report.targeted') },
    { key: 'sent', label: t('report.sent') },
    { key: 'delivered', label: t('report.delivered') },
    { key: 'clicked', label: t('report.clicked') },
    { key: 'converted', label: t('report.converted') },
  ];
  const schedule = task.schedule as Schedule;
  // Recurring and trigger schedules: the server's summary (and, recurring, the next runs).
  const scheduleText = schedule.type === 'at' ? `${t('tasks.at')} ${formatTime(schedule.at, lang)}`
    : schedule.type === 'now' ? t('tasks.now')
    : <SchedulePreview schedule={schedule} compact />;
  const suppressedRows = r ? Object.entries(r.suppressed).filter(([, n]) => n > 0) : [];

  return (
    <Card
      size="small"
      title={<span>{task.name} <Tag>{t(`channel.${task.channel}`)}</Tag>{lastRun && <Tag color={runColors[lastRun.status] ?? 'default'} data-testid="run-status">{isKnownRunStatus(lastRun.status) ? t(`runStatus.${lastRun.status}`) : lastRun.status}</Tag>}</span>}
      extra={live ? <Typography.Text type="secondary">{t('report.live')}</Typography.Text> : null}
      data-testid="task-report"
      data-task-id={task.id}
    >
      <Descriptions size="small" column={{ xs: 1, sm: 3 }} style={{ marginBottom: 12 }} items={[
        { key: 'template', label: t('tasks.template'), children: template ? `${template.name} (v${template.version})` : task.templateId },
        { key: 'segment', label: t('tasks.segment'), children: segment ? `${segment.name} (${segment.count ?? '…'})` : task.audience?.segmentId ?? t('taskCard.everyone') },
        { key: 'schedule', label: t('tasks.schedule'), children: <div data-testid="task-schedule">{scheduleText}</div> },
        ...(task.frequency ? [{ key: 'frequency', label: t('taskCard.frequency'), children: t('taskCard.frequencyText', { max: task.frequency.maxPerUser, days: task.frequency.perDays }) }] : []),
        ...(task.priority ? [{ key: 'priority', label: t('taskCard.priority'), children: task.priority }] : []),
        ...(est && est.total !== null ? [{ key: 'estimate', label: t('taskCard.estimate'), children: <span data-testid="task-estimate" data-total={est.total}>{t('taskCard.estimateText', { audience: est.audience ?? 0, segments: est.segmentsPerMessage, unit: money(est.unitPrice, est.currency), total: money(est.total, est.currency) })}</span> }] : []),
        ...(task.controlPercent ? [{ key: 'control', label: t('taskCard.control'), children: `${task.controlPercent}%` }] : []),
      ]} />
      {report.error && !r && <Typography.Text type="danger">{toShownError(report.error).message}</Typography.Text>}
      {r && (
        <>
          <Row gutter={[16, 16]}>
            {counts.slice(0, 1).map((c) => <Col key={c.key} xs={12} sm={8} md={6} lg={3}><Metric name={c.key} title={c.label} value={r[c.key]} /></Col>)}
            <Col xs={12} sm={8} md={6} lg={3}><Metric name="suppressed" title={t('report.suppressed')} value={suppressed} tip={suppressedTip || undefined} /></Col>
            {counts.slice(1).map((c) => <Col key={c.key} xs={12} sm={8} md={6} lg={3}><Metric name={c.key} title={c.label} value={r[c.key]} /></Col>)}
            <Col xs={12} sm={8} md={6} lg={3}><Metric name="failed" title={t('report.failed')} value={r.failed} /></Col>
            <Col xs={24} sm={8} md={6} lg={3}><Metric name="revenue" title={t('report.revenue')} value={formatFen(r.revenue)} /></Col>
          </Row>
          <Progress
            percent={r.targeted ? Math.round((100 * (r.sent + suppressed + r.failedBeforeSend)) / r.targeted) : 0}
            success={{ percent: r.targeted ? Math.round((100 * r.sent) / r.targeted) : 0 }}
            size="small"
            style={{ marginTop: 8 }}
          />
          <Space wrap size="small" style={{ marginTop: 4 }}>
            <Typography.Text type="secondary" data-testid="report-deferred" data-value={r.deferred}>{t('report.deferred')}: {r.deferred}</Typography.Text>
            <Typography.Text type="secondary">· {t('report.queued')}: {r.queued}</Typography.Text>
            {r.failedBeforeSend > 0 && <Typography.Text type="secondary">· {t('taskCard.failedBeforeSend')}: {r.failedBeforeSend}</Typography.Text>}
            {suppressedRows.map(([k, n]) => <Tag key={k} data-reason={k}>{isKnownReason(k) ? t(`suppressed.${k}`) : k}: {n}</Tag>)}
          </Space>
          {((r.byVariant?.length ?? 0) > 0 || r.runs.length > 1) && (
            <Collapse size="small" ghost items={[
              ...((r.byVariant?.length ?? 0) > 0 ? [{ key: 'variants', label: t('taskCard.variants'), children: <VariantTable rows={r.byVariant ?? []} /> }] : []),
              ...(r.runs.length > 1 ? [{ key: 'runs', label: `${t('taskCard.runs')} (${r.runs.length})`, children: <RunTable runs={r.runs} /> }] : []),
            ]} />
          )}
        </>
      )}
    </Card>
  );
}

/** byVariant of the report: one line per variant (unnamed without variants) and the control group. */
function VariantTable({ rows }: { rows: VariantReport[] }) {
  const { t } = useI18n();
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return (
    <Table<VariantReport>
      rowKey={(v) => v.name || '-'} size="small" pagination={false} dataSource={rows} data-testid="variant-table"
      columns={[
        { title: t('taskCard.variant'), dataIndex: 'name', render: (n: string) => (n === 'control' ? <Tag>{t('taskCard.control')}</Tag> : n || '—') },
        { title: t('taskCard.weight'), dataIndex: 'weight', align: 'right', render: (w: number | null) => w ?? '—' },
        { title: t('report.targeted'), dataIndex: 'targeted', align: 'right' },
        { title: t('report.sent'), dataIndex: 'sent', align: 'right' },
        { title: t('report.delivered'), dataIndex: 'delivered', align: 'right' },
        { title: t('report.clicked'), dataIndex: 'clicked', align: 'right' },
        { title: t('taskCard.users'), dataIndex: 'users', align: 'right' },
        { title: t('report.converted'), dataIndex: 'converted', align: 'right' },
        // From the counts, not the API's 4-decimal conversionRate: rounding that again to one decimal
        // could move the last digit (1 of 26: 0.0385 → 3.9 %, where 3.846 % is 3.8 %).
        { title: t('taskCard.conversionRate'), dataIndex: 'conversionRate', align: 'right', render: (_r: number, v) => (v.users ? pct(v.converted / v.users) : '—') },
        {
          title: <Tooltip title={t('taskCard.liftHelp')}>{t('taskCard.lift')}</Tooltip>, dataIndex: 'lift', align: 'right',
          render: (lift: number | null, v) => (lift === null ? '—' : (
            <Space size={4} data-lift={lift} data-p={v.pValue ?? ''}>
              <Typography.Text type={lift > 0 ? 'success' : lift < 0 ? 'danger' : undefined}>{`${lift > 0 ? '+' : ''}${pct(lift)}`}</Typography.Text>
              {v.pValue !== null && <Typography.Text type="secondary">p={v.pValue < 0.001 ? '<0.001' : v.pValue.toFixed(3)}</Typography.Text>}
              {v.pValue !== null && v.pValue < 0.05 && <Tag color="green">{t('taskCard.significant')}</Tag>}
            </Space>
          )),
        },
      ]}
    />
  );
}

function RunTable({ runs }: { runs: TaskRun[] }) {
  const { t, lang } = useI18n();
  return (
    <Table<TaskRun>
      rowKey="id" size="small" pagination={false} dataSource={[...runs].reverse()}
      columns={[
        { title: t('taskCard.scheduledFor'), dataIndex: 'scheduledFor', render: (v: string) => formatTime(v, lang) },
        { title: t('taskCard.status'), dataIndex: 'status', render: (s: string) => <Tag color={runColors[s] ?? 'default'}>{isKnownRunStatus(s) ? t(`runStatus.${s}`) : s}</Tag> },
        { title: t('report.targeted'), dataIndex: 'targeted', align: 'right', render: (n: number | null) => n ?? '—' },
      ]}
    />
  );
}
