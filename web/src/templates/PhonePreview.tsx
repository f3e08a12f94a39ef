import { Space, Tag, Typography } from 'antd';
import type { Channel, RenderResult } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';

// Inline styles: web/src/styles.css is shared, so the preview's own looks stay here.
const notification = { background: '#fff', borderRadius: 12, padding: '10px 12px', boxShadow: '0 2px 8px rgba(0,0,0,.08)', fontSize: 13, lineHeight: 1.5 } as const;
const card = { ...notification, borderRadius: 8 } as const;
const linkStyle = { color: '#1668dc', fontSize: 12, marginTop: 6, wordBreak: 'break-all' } as const;

const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v, null, 2));

/** Minor units → "0.045 CNY"-style text (unit prices of SMS can be fractions of a fen). */
function money(minor: number, currency: string): string {
  return `${(minor / 100).toLocaleString('en-US', { maximumFractionDigits: 4 })} ${currency}`;
}

/**
 * What the recipient sees, per channel, from the API's rendering: a handset for SMS (with
 * segments, encoding, characters and the cost estimate), a notification for push, an inbox
 * card, a WeChat template message, the email (subject and HTML in a sandboxed frame) or the
 * webhook request.
 */
export function PhonePreview({ result, channel, signature }: { result: RenderResult | null; channel: Channel; signature: string }) {
  const { t } = useI18n();
  const r = result?.rendered ?? {};

  if (result && channel === 'email') {
    return (
      <div data-testid="email-preview">
        <Typography.Text type="secondary">{t('templates.emailSubject')}: </Typography.Text>
        <Typography.Text strong data-testid="rendered-subject">{str(r.subject)}</Typography.Text>
        <iframe title="email" sandbox="" srcDoc={str(r.html)} style={{ width: '100%', height: 420, border: '1px solid #f0f0f0', borderRadius: 6, marginTop: 8, background: '#fff' }} />
      </div>
    );
  }
  if (result && channel === 'webhook') {
    return (
      <div data-testid="webhook-preview">
        <Typography.Text type="secondary">{t('templates.webhookRequest')}: </Typography.Text>
        <Typography.Text code>POST {str(r.url)}</Typography.Text>
        <pre style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12, background: '#fafafa', padding: 8, borderRadius: 6 }} data-testid="rendered-text">{str(r.body)}</pre>
      </div>
    );
  }

  const bubble = () => {
    switch (channel) {
      case 'push':
        return <div style={notification}><b>{str(r.title)}</b><div data-testid="rendered-text">{str(r.body)}</div>{r.deepLink ? <div style={linkStyle}>{str(r.deepLink)}</div> : null}</div>;
      case 'inbox':
        return <div style={card}><b>{str(r.title)}</b><div data-testid="rendered-text" style={{ whiteSpace: 'pre-wrap' }}>{str(r.body)}</div>{r.url ? <div style={linkStyle}>{str(r.url)}</div> : null}</div>;
      case 'wechat': {
        const data = (r.data ?? {}) as Record<string, unknown>;
        return (
          <div style={card} data-testid="rendered-text">
            {Object.entries(data).map(([k, v]) => <div key={k}><Typography.Text type="secondary">{k}: </Typography.Text>{str(typeof v === 'object' && v && 'value' in v ? (v as { value: unknown }).value : v)}</div>)}
            {r.url ? <div style={linkStyle}>{str(r.url)}</div> : null}
          </div>
        );
      }
      default:
        return <div className="phone-bubble" data-testid="rendered-text">{str(r.text)}</div>;
    }
  };

  return (
    <Space orientation="vertical" align="center" style={{ width: '100%' }}>
      <div className="phone" data-testid="phone-preview" data-channel={channel}>
        <div className="phone-sender">{channel === 'sms' ? signature || 'SMS' : t(`channel.${channel}`)}</div>
        {result ? bubble() : <Typography.Text type="secondary">{t('templates.previewEmpty')}</Typography.Text>}
      </div>
      {result && channel === 'sms' && (
        <Space wrap style={{ justifyContent: 'center' }}>
          <Tag color="blue">{t('templates.smsSegments')}: <b data-testid="sms-segments">{result.smsSegments ?? '—'}</b></Tag>
          <Tag>{t('templates.smsEncoding')}: <b data-testid="sms-encoding">{result.smsEncoding ?? '—'}</b></Tag>
          <Tag>{t('templates.smsCharacters')}: <b data-testid="sms-characters">{result.smsCharacters ?? '—'}</b></Tag>
          {result.smsCost && (
            <Tag color="gold" data-testid="sms-cost" data-total={result.smsCost.total}>
              {t('templates.smsCost')}: {t('templates.smsCostText', { segments: result.smsCost.segments, unit: money(result.smsCost.unitPrice, result.smsCost.currency), total: money(result.smsCost.total, result.smsCost.currency) })}
            </Tag>
          )}
        </Space>
      )}
      {channel === 'sms' && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('templates.optOut')}</Typography.Text>}
    </Space>
  );
}
