import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { OutgoingMessage, Provider, SendOutcome } from '../providers.ts';
import { mapLimit } from '../http-call.ts';

export const smtpCredentials = z.strictObject({ user: z.string().min(1).max(500).optional(), pass: z.string().min(1).max(500).optional() });
export const smtpSettings = z.strictObject({
  host: z.string().min(1).max(500),
  port: z.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  requireTLS: z.boolean().default(false),
  /** Only for test servers with self-signed certificates. */
  allowSelfSigned: z.boolean().default(false),
  from: z.string().min(3).max(500),
  replyTo: z.string().max(500).optional(),
  /** The domain of the Message-ID header (`<ml-{messageId}@domain>`); default: the From domain. */
  messageIdDomain: z.string().max(200).optional(),
  timeoutMs: z.number().int().min(100).max(120_000).default(30_000),
  concurrency: z.number().int().min(1).max(32).default(4),
});

/**
 * Email over SMTP with nodemailer: the rendered `subject`, `html` and `text` (multipart/
 * alternative), `List-Unsubscribe` with a one-click URL and `List-Unsubscribe-Post`
 * (RFC 8058), and a Message-ID made from the message id, so a resend after a crash carries the
 * same id (SMTP itself has no idempotency; see docs/channels.md). A 5xx reply fails for good,
 * a 4xx reply or a connection failure is retryable.
 */
export function smtpProvider(name: string, creds: z.infer<typeof smtpCredentials>, settings: z.infer<typeof smtpSettings>, unsubscribeUrl: (m: OutgoingMessage) => string): Provider {
  const transport = nodemailer.createTransport({
    host: settings.host, port: settings.port, secure: settings.secure, requireTLS: settings.requireTLS,
    auth: creds.user ? { user: creds.user, pass: creds.pass ?? '' } : undefined,
    tls: settings.allowSelfSigned ? { rejectUnauthorized: false } : undefined,
    connectionTimeout: settings.timeoutMs, greetingTimeout: settings.timeoutMs, socketTimeout: settings.timeoutMs,
  });
  const domain = settings.messageIdDomain ?? (/@([^>\s]+)/.exec(settings.from)?.[1] ?? 'marketloop.local');

  async function one(m: OutgoingMessage): Promise<SendOutcome> {
    const r = m.rendered as { subject?: string; html?: string; text?: string };
    const url = unsubscribeUrl(m);
    try {
      await transport.sendMail({
        from: settings.from, to: m.to, replyTo: settings.replyTo, subject: String(r.subject ?? ''),
        html: String(r.html ?? ''), ...(r.text ? { text: String(r.text) } : {}),
        messageId: `<ml-${m.messageId}@${domain}>`,
        headers: { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'X-Marketloop-Message-Id': m.messageId },
      });
      return { messageId: m.messageId, status: 'sent' };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string; response?: string };
      if (e.responseCode && e.responseCode >= 500) return { messageId: m.messageId, status: 'failed', reason: `smtp_${e.responseCode}: ${(e.response ?? e.message).slice(0, 200)}`, retryable: false };
      return { messageId: m.messageId, status: 'failed', reason: `smtp_${e.responseCode ?? e.code ?? 'error'}: ${(e.response ?? e.message).slice(0, 200)}`, retryable: true };
    }
  }
  return { name, transactional: false, send: async (_tx, messages) => mapLimit(messages, settings.concurrency, one) };
}
