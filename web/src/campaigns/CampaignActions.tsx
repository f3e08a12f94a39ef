import { App, Button, Popconfirm, Space } from 'antd';
import { useState } from 'react';
import { api } from '../api/client.ts';
import type { Campaign, CampaignStatus } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { RejectReasonModal } from '../common/RejectReasonModal.tsx';
import { useI18n } from '../i18n/i18n-context.ts';

type Action = 'submit' | 'approve' | 'reject' | 'pause' | 'resume' | 'end';

/** Which lifecycle actions a status allows (API.md "Lifecycle"). */
const actionsFor: Record<CampaignStatus, Action[]> = {
  draft: ['submit', 'end'],
  pending_approval: ['approve', 'reject', 'end'],
  approved: ['pause', 'end'],
  running: ['pause', 'end'],
  paused: ['resume', 'end'],
  ended: [],
};

interface Props {
  campaign: Campaign;
  onChanged: (c: Campaign) => void;
}

/** Submit / Approve / Reject (with a reason) / Pause / Resume / End, as the status allows. */
export function CampaignActions({ campaign, onChanged }: Props) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<Action | null>(null);
  const [rejecting, setRejecting] = useState(false);

  const run = async (action: Action, body?: unknown) => {
    setBusy(action);
    try {
      const c = await api.post<Campaign>(`/v1/campaigns/${campaign.id}/${action}`, body);
      void message.success(t(`actions.done.${action}`));
      onChanged(c);
      return true;
    } catch (err) {
      void message.error(toShownError(err).message);
      return false;
    } finally {
      setBusy(null);
    }
  };

  const button = (action: Action) => {
    const common = { loading: busy === action, disabled: busy !== null && busy !== action, 'data-testid': `action-${action}` };
    switch (action) {
      case 'submit':
      case 'approve':
      case 'resume':
        return <Button key={action} type="primary" {...common} onClick={() => void run(action)}>{t(`actions.${action}`)}</Button>;
      case 'pause':
        return <Button key={action} {...common} onClick={() => void run(action)}>{t('actions.pause')}</Button>;
      case 'reject':
        return <Button key={action} danger {...common} onClick={() => setRejecting(true)}>{t('actions.reject')}</Button>;
      case 'end':
        return (
          <Popconfirm key={action} title={t('actions.endConfirm')} okText={t('actions.end')} cancelText={t('common.cancel')} onConfirm={() => run('end')}>
            <Button danger {...common}>{t('actions.end')}</Button>
          </Popconfirm>
        );
    }
  };

  return (
    <>
      <Space wrap>{actionsFor[campaign.status].map(button)}</Space>
      <RejectReasonModal
        open={rejecting} title={t('actions.rejectTitle')} okText={t('actions.reject')} loading={busy === 'reject'} testId="reject-reason"
        onCancel={() => setRejecting(false)} onReject={(reason) => run('reject', { reason })}
      />
    </>
  );
}
