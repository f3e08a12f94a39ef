import { Button, Radio, Space, TimePicker, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { api } from '../api/client.ts';
import type { RefreshMode } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { SegmentFull } from './segment-api.ts';

/** Change how a segment is recomputed: once (frozen), daily at a workspace-local time, or manually. */
export function RefreshSettings({ segment, onSaved }: { segment: SegmentFull; onSaved: () => Promise<void> }) {
  const { t } = useI18n();
  const [refresh, setRefresh] = useState<RefreshMode>(segment.refresh);
  const [at, setAt] = useState(segment.refreshAt || '02:00');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const isList = segment.kind === 'list';
  const changed = refresh !== segment.refresh || (refresh === 'daily' && at !== segment.refreshAt);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.patch(`/v1/segments/${segment.id}`, refresh === 'daily' ? { refresh, refreshAt: at } : { refresh });
      await onSaved();
    } catch (err) {
      setError(toShownError(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space orientation="vertical" data-testid="refresh-settings">
      {isList && <Typography.Text type="secondary">{t('segments.listNoRefresh')}</Typography.Text>}
      <Space wrap>
        <Radio.Group value={refresh} onChange={(e) => setRefresh(e.target.value as RefreshMode)} optionType="button" disabled={isList} data-testid="refresh-settings-mode"
          options={[{ value: 'once', label: t('refresh.once') }, { value: 'daily', label: t('refresh.daily') }, { value: 'manual', label: t('refresh.manual') }]} />
        {refresh === 'daily' && (
          <TimePicker format="HH:mm" minuteStep={5} allowClear={false} value={dayjs(at, 'HH:mm')} onChange={(d) => d && setAt(d.format('HH:mm'))} data-testid="refresh-settings-at" />
        )}
        <Button onClick={() => void save()} loading={busy} disabled={!changed || isList} data-testid="refresh-settings-save">{t('common.save')}</Button>
      </Space>
      <Typography.Text type="secondary">{t(`segments.refreshHelp.${refresh}`, { at })}</Typography.Text>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
    </Space>
  );
}
