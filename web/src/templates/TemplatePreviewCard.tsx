import { Alert, Card, Input, Space } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { Channel, RenderResult } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { PhonePreview } from './PhonePreview.tsx';

interface Props {
  templateId: string | null;
  channel: Channel;
  signature: string;
  /** The form has edits that are not saved yet (the preview renders the saved version). */
  dirty: boolean;
  /** Changes after every save: the preview renders again for the chosen user. */
  savedVersion: number;
}

/** Renders the saved template for one user (POST /v1/templates/{id}/render), again after each save. */
export function TemplatePreviewCard({ templateId, channel, signature, dirty, savedVersion }: Props) {
  const { t } = useI18n();
  const [externalId, setExternalId] = useState('');
  const [rendered, setRendered] = useState<string>('');
  const [result, setResult] = useState<RenderResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const render = async (id: string) => {
    if (!templateId || !id.trim()) return;
    setBusy(true);
    setError(null);
    try {
      setResult(await api.post<RenderResult>(`/v1/templates/${templateId}/render`, { externalId: id.trim() }));
      setRendered(id.trim());
    } catch (err) {
      setResult(null);
      setError(toShownError(err).message);
    } finally {
      setBusy(false);
    }
  };

  // Live: a saved edit re-renders for the user already chosen.
  useEffect(() => { if (rendered) void render(rendered); }, [savedVersion]);

  return (
    <Card title={t('templates.preview')}>
      <Space orientation="vertical" style={{ width: '100%' }} size="middle">
        {!templateId && <Alert type="info" showIcon title={t('templates.saveFirst')} />}
        {templateId && dirty && <Alert type="warning" showIcon title={t('templates.unsaved')} />}
        <Input.Search
          placeholder={t('templates.previewUser')}
          value={externalId}
          onChange={(e) => setExternalId(e.target.value)}
          onSearch={(v) => void render(v)}
          enterButton={t('templates.render')}
          loading={busy}
          disabled={!templateId}
          data-testid="preview-user"
        />
        {error && <Alert type="error" showIcon title={error} />}
        <PhonePreview result={result} channel={channel} signature={signature} />
      </Space>
    </Card>
  );
}
