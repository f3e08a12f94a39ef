import type { Channel } from '../api/types.ts';
import type { FieldPath } from '../common/api-errors.ts';

/**
 * Template content by channel (API.md "Templates and channels") as the editor's form fields.
 * Form field names are prefixed by channel where two channels share a content key with
 * different meaning (wechat `templateId`, webhook `url`/`body` are JSON-ish), so one form can
 * hold any channel.
 */
export interface ContentValues {
  signature?: string;
  body?: string;
  title?: string;
  deepLink?: string;
  url?: string;
  subject?: string;
  html?: string;
  text?: string;
  wxTemplateId?: string;
  /** WeChat `data` as JSON text. */
  wxData?: string;
  hookUrl?: string;
  hookBody?: string;
  /** SMS `kind`: marketing (default; carries the opt-out line) or transactional. */
  smsKind?: string;
}

/** Content key → form field, per channel. */
export const contentFields: Record<Channel, Record<string, keyof ContentValues>> = {
  sms: { signature: 'signature', body: 'body', kind: 'smsKind' },
  push: { title: 'title', body: 'body', deepLink: 'deepLink' },
  inbox: { title: 'title', body: 'body', url: 'url' },
  email: { subject: 'subject', html: 'html', text: 'text' },
  wechat: { templateId: 'wxTemplateId', data: 'wxData', url: 'url' },
  webhook: { url: 'hookUrl', body: 'hookBody' },
};

const optional = new Set(['deepLink', 'url', 'text', 'kind']);

export const sampleContent: Record<Channel, Record<string, unknown>> = {
  sms: { signature: '', body: 'Hi {{ user.name | default: "there" }}, 20% off today: {{ "https://shop.example/sale" | track }}' },
  push: { title: 'Hi {{ user.name | default: "there" }}', body: 'Your coupon is waiting', deepLink: 'app://coupons' },
  inbox: { title: 'A gift for you', body: 'Hi {{ user.name | default: "there" }}, open to claim it.', url: '' },
  email: { subject: 'Hi {{ user.name | default: "there" }}, our autumn sale', html: '<h1>Autumn sale</h1>\n<p>Hi {{ user.name | default: "there" }},</p>\n<p><a href="{{ "https://shop.example/sale" | track }}">Shop now</a></p>', text: '' },
  wechat: { templateId: '', data: { first: 'Hi {{ user.name }}', keyword1: '{{ campaign.name }}', remark: 'Tap for details' }, url: '' },
  webhook: { url: 'https://crm.example/hooks/marketloop', body: '{"user":"{{ user.externalId }}","campaign":"{{ campaign.id }}"}' },
};

/** Stored content → form values. */
export function valuesOf(channel: Channel, content: Record<string, unknown>): ContentValues {
  const out: ContentValues = {};
  for (const [key, field] of Object.entries(contentFields[channel])) {
    const v = content[key];
    out[field] = field === 'wxData' ? JSON.stringify(v ?? {}, null, 2) : v === undefined || v === null ? '' : String(v);
  }
  return out;
}

/** Form values → content for the API; empty optional fields are left out. Throws on bad WeChat JSON. */
export function contentOf(channel: Channel, v: ContentValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(contentFields[channel])) {
    const raw = v[field] ?? '';
    if (field === 'wxData') { out[key] = JSON.parse(raw || '{}') as unknown; continue; }
    if (optional.has(key) && !raw.trim()) continue;
    out[key] = key === 'signature' ? raw.trim() : raw;
  }
  return out;
}

/** An API error path (`content.body`) → the form field showing it; a Liquid error without a field lands on the main text. */
export function templateFieldOf(channel: Channel): (path: FieldPath) => FieldPath | null {
  const main: Record<Channel, keyof ContentValues> = { sms: 'body', push: 'body', inbox: 'body', email: 'html', wechat: 'wxData', webhook: 'hookBody' };
  return (path) => {
    if (path[0] === 'name' || path[0] === 'channel') return [path[0]];
    if (path[0] !== 'content') return null;
    const field = typeof path[1] === 'string' ? contentFields[channel][path[1]] : undefined;
    return [field ?? main[channel]];
  };
}

/** Liquid variables offered in the editor's help, by group. */
export const liquidVariables = {
  user: ['user.externalId', 'user.phone', 'user.email', 'user.createdAt', 'user.orderCount'],
  campaign: ['campaign.id', 'campaign.name'],
  task: ['task.id', 'task.name'],
  coupon: ['coupon.code', 'coupon.validFrom', 'coupon.validTo'],
  filters: ['"https://…" | track', 'user.name | default: "there"', 'coupon.validTo | date: "%Y-%m-%d"'],
} as const;
