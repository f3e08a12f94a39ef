import { DownloadOutlined } from '@ant-design/icons';
import { App, Button } from 'antd';
import { useState } from 'react';
import { requestFile } from '../api/client.ts';
import type { CampaignExportType } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { attachmentName, saveBlob } from '../common/download.ts';
import { useI18n } from '../i18n/i18n-context.ts';

/**
 * Downloads a campaign's messages or conversions as CSV (GET /v1/campaigns/{id}/export). The
 * file is fetched with the session and then saved, so a failure is a message in the page.
 */
export function CampaignExportButton({ campaignId, type }: { campaignId: string; type: CampaignExportType }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);

  const download = async () => {
    setBusy(true);
    try {
      const { blob, headers } = await requestFile(`/v1/campaigns/${encodeURIComponent(campaignId)}/export?type=${type}`);
      saveBlob(blob, attachmentName(headers) ?? `campaign-${campaignId}-${type}.csv`);
    } catch (err) {
      void message.error(t('results.exportFailed', { message: toShownError(err).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Button icon={<DownloadOutlined />} loading={busy} onClick={() => void download()} data-testid={`export-${type}`}>
      {t(`results.export.${type}`)}
    </Button>
  );
}
