import { Card, Spin, Statistic, Typography } from 'antd';
import type { SegmentPreview } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';

export type LiveState = 'incomplete' | 'pending' | 'ready' | 'error';

interface Props {
  preview: SegmentPreview | null;
  state: LiveState;
  error: string | null;
}

/** The live audience size of the definition being edited (POST /v1/segments/preview). */
export function LiveCount({ preview, state, error }: Props) {
  const { t } = useI18n();
  const shown = state === 'incomplete' || !preview ? null : preview;
  return (
    <Card title={t('segments.liveCount')} size="small">
      <Spin spinning={state === 'pending'} size="small">
        <div data-testid="live-count" data-state={state}>
          <Statistic value={shown ? shown.count : '—'} suffix={shown ? t('segments.usersUnit') : undefined} />
        </div>
        {state === 'incomplete' && <Typography.Text type="secondary">{t('segments.incomplete')}</Typography.Text>}
        {state === 'error' && error && <Typography.Text type="danger">{error}</Typography.Text>}
        {shown && shown.sample.length > 0 && (
          <div style={{ marginTop: 8 }}>
            <Typography.Text type="secondary">{t('segments.sample')}: </Typography.Text>
            <Typography.Text style={{ wordBreak: 'break-all' }}>{shown.sample.slice(0, 10).join(', ')}</Typography.Text>
          </div>
        )}
      </Spin>
    </Card>
  );
}
