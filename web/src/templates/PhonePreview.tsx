import { Space, Tag, Typography } from 'antd';
import type { RenderResult } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';

/** A rendered SMS in a phone-shaped box, with its segments, encoding and characters. */
export function PhonePreview({ result, signature }: { result: RenderResult | null; signature: string }) {
  const { t } = useI18n();
  const text = result ? String(result.rendered.text ?? '') : '';
  return (
    <Space orientation="vertical" align="center" style={{ width: '100%' }}>
      <div className="phone" data-testid="phone-preview">
        <div className="phone-sender">{signature || 'SMS'}</div>
        {result ? <div className="phone-bubble" data-testid="rendered-text">{text}</div> : <Typography.Text type="secondary">{t('templates.previewEmpty')}</Typography.Text>}
      </div>
      {result && (
        <Space wrap>
          <Tag color="blue">{t('templates.smsSegments')}: <b data-testid="sms-segments">{result.smsSegments ?? '—'}</b></Tag>
          <Tag>{t('templates.smsEncoding')}: <b data-testid="sms-encoding">{result.smsEncoding ?? '—'}</b></Tag>
          <Tag>{t('templates.smsCharacters')}: <b data-testid="sms-characters">{result.smsCharacters ?? '—'}</b></Tag>
        </Space>
      )}
    </Space>
  );
}
