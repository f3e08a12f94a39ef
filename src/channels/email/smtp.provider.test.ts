import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../providers.ts';
import { smtpProvider, smtpSettings } from './smtp.provider.ts';
import { mimeHeader } from './smtp-peer.start.ts';

// A real SMTP server (the smtp-server package) in a child process; each received message
// comes back as a JSON line with its raw MIME.
let child: ChildProcess;
let port = 0;
const received: { user: string | null; from: string; to: string[]; raw: string }[] = [];
const waiters: (() => void)[] = [];

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./smtp-peer.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`smtp peer exited ${code}`)));
    lines.on('line', (line) => {
      const m = JSON.parse(line) as { port?: number };
      if (m.port !== undefined) { port = m.port; ok(); return; }
      received.push(m as (typeof received)[number]);
      waiters.splice(0).forEach((w) => w());
    });
  });
});
afterAll(() => { child.kill('SIGTERM'); });

/**
 * The message the peer received for `to`. The server's 250 reaches the provider before the
 * peer's report reaches this process (another pipe), so wait for the report rather than assume it.
 */
async function receivedFor(to: string): Promise<(typeof received)[number]> {
  for (;;) {
    const got = received.find((r) => r.to.includes(to));
    if (got) return got;
    await new Promise<void>((ok) => waiters.push(ok));
  }
}

const msg = (id: string, to: string): OutgoingMessage => ({
  messageId: id, workspaceId: 'ws', channel: 'email', externalId: `u${id}`, to, taskId: 't', campaignId: 'c',
  rendered: { subject: 'Spring sale for Ann', html: '<p>Hello <b>Ann</b>, 20% off today.</p>', text: 'Hello Ann, 20% off today.' },
});
const make = (creds = { user: 'mailer', pass: 'p4ss' }) =>
  smtpProvider('smtp', creds, smtpSettings.parse({ host: '127.0.0.1', port, from: 'Shop <news@shop.example>', timeoutMs: 5000 }), (m) => `https://ml.test/u?t=tok-${m.messageId}`);

describe('SMTP provider against a real SMTP server process', () => {
  it('sends HTML and text with one-click List-Unsubscribe headers and a Message-ID from the message id', async () => {
    const out = await make().send(undefined as never, [msg('501', 'ann@example.com')], new Date());
    expect(out).toEqual([{ messageId: '501', status: 'sent' }]);
    const got = await receivedFor('ann@example.com');
    expect(got.user).toBe('mailer');
    expect(got.from).toBe('news@shop.example');
    const [head, ...rest] = got.raw.split('\r\n\r\n');
    const body = rest.join('\r\n\r\n');
    const header = (name: string) => mimeHeader(`${head}\r\n\r\n`, name);
    expect(header('Subject')).toBe('Spring sale for Ann');
    expect(header('From')).toBe('Shop <news@shop.example>');
    expect(header('List-Unsubscribe')).toBe('<https://ml.test/u?t=tok-501>');
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(header('Message-ID')).toBe('<ml-501@shop.example>');
    expect(header('Content-Type')).toMatch(/^multipart\/alternative; boundary=/);
    expect(body).toMatch(/Content-Type: text\/plain; charset=utf-8[\s\S]*Hello Ann, 20% off today\./);
    expect(body).toMatch(/Content-Type: text\/html; charset=utf-8[\s\S]*<p>Hello <b>Ann<\/b>, 20% off today\.<\/p>/);
  });

  it('a 5xx refusal fails for good, a 4xx is retryable, bad credentials fail', async () => {
    const out = await make().send(undefined as never, [msg('502', 'bounce@example.com'), msg('503', 'busy@example.com')], new Date());
    expect(out[0]).toMatchObject({ messageId: '502', status: 'failed', retryable: false, reason: expect.stringMatching(/^smtp_550: /) });
    expect(out[1]).toMatchObject({ messageId: '503', status: 'failed', retryable: true, reason: expect.stringMatching(/^smtp_451: /) });
    const bad = await make({ user: 'mailer', pass: 'wrong' }).send(undefined as never, [msg('504', 'ann@example.com')], new Date());
    expect(bad[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^smtp_535: /) });
  });
});
