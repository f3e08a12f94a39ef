import { Tag } from 'antd';
import type { SegmentStatus } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';

const colors: Record<SegmentStatus, string> = { computing: 'processing', ready: 'success', failed: 'error' };

export function SegmentStatusTag({ status }: { status: SegmentStatus }) {
  const { t } = useI18n();
  return <Tag color={colors[status]} data-testid="segment-status" data-status={status}>{t(`segmentStatus.${status}`)}</Tag>;
}
