import { Tag } from 'antd';
import type { CampaignStatus } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';

const colors: Record<CampaignStatus, string> = {
  draft: 'default', pending_approval: 'gold', approved: 'blue', running: 'green', paused: 'orange', ended: 'purple',
};

/** A campaign status as a coloured tag in the console's language. */
export function StatusTag({ status }: { status: CampaignStatus }) {
  const { t } = useI18n();
  return <Tag color={colors[status]} data-testid="campaign-status" data-status={status}>{t(`status.${status}`)}</Tag>;
}
