import { Alert, Card, List, Spin, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { Schedule, SchedulePreview as Preview } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { useDebounced } from '../common/use-debounced.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';
import { formatInZone } from './cron-model.ts';

/**
 * The server's reading of a schedule (POST /v1/schedules/preview): a sentence such as
 * "every Monday 09:00 (Asia/Shanghai)" and the next run times, shown on the workspace's wall
 * clock. The console never computes run times itself, so what it shows is what will run.
 */
export function SchedulePreview({ schedule, compact = false }: { schedule: Schedule | null; compact?: boolean }) {
  const { t, lang } = useI18n();
  const timezone = useMe().me.workspace.timezone;
  const key = schedule ? JSON.stringify(schedule) : '';
  const debounced = useDebounced(key, 400);
  const [state, setState] = useState<{ key: string; preview?: Preview; error?: string } | null>(null);

  useEffect(() => {
    if (!debounced) { setState(null); return; }
    let live = true;
    setState({ key: debounced });
    api.post<Preview>('/v1/schedules/preview', { schedule: JSON.parse(debounced) as Schedule })
      .then((preview) => { if (live) setState({ key: debounced, preview }); })
      .catch((err: unknown) => { if (live) setState({ key: debounced, error: toShownError(err).message }); });
    return () => { live = false; };
  }, [debounced]);

  const preview = state?.key === key ? state.preview : undefined;
  const loading = !!key && (state?.key !== key || (!state.preview && !state.error));
  const zone = preview?.timezone ?? timezone;
  const summary = preview ? (lang === 'zh-CN' && preview.summaryZh ? preview.summaryZh : preview.summary) : '';

  const body = (
    <div data-testid="schedule-preview" data-state={preview ? 'ready' : loading ? 'loading' : state?.error ? 'error' : 'empty'}>
      {!key && <Typography.Text type="secondary">{t('schedule.previewEmpty')}</Typography.Text>}
      {state?.error && state.key === key && <Alert type="warning" showIcon title={state.error} />}
      {loading && <Spin size="small" />}
      {preview && (
        <>
          <Typography.Paragraph strong style={{ marginBottom: 8 }} data-testid="schedule-summary">{summary}</Typography.Paragraph>
          {preview.nextRuns.length > 0 ? (
            <List
              size="small"
              header={<Typography.Text type="secondary">{t('schedule.nextRuns', { timezone: zone })}</Typography.Text>}
              dataSource={preview.nextRuns}
              renderItem={(iso) => <List.Item data-testid="next-run" data-iso={iso}>{formatInZone(iso, zone)}</List.Item>}
            />
          ) : <Typography.Text type="secondary">{t('schedule.noRuns')}</Typography.Text>}
        </>
      )}
    </div>
  );
  return compact ? body : <Card size="small" title={t('schedule.preview')}>{body}</Card>;
}
