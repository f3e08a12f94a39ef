import { Liquid, TokenKind, type Template } from 'liquidjs';
import smsSegments from 'sms-segments-calculator';
import type { Channel } from './templates.schema.ts';

/**
 * Liquid rendering of channel content. `{{ url | track }}` asks the render's `track` hook for
 * a short link (delivery passes one that creates a per-message link; preview shows a sample).
 */
export interface RenderScope {
  user: Record<string, unknown>;
  campaign?: Record<string, unknown>;
  task?: Record<string, unknown>;
  coupon?: Record<string, unknown>;
}
export type TrackHook = (url: string) => string;

const engine = new Liquid({ strictFilters: true, strictVariables: false, ownPropertyOnly: true, cache: 500 });
engine.registerFilter('track', function (this: { context: { environments: unknown } }, url: unknown) {
  const env = this.context.environments as { __track?: TrackHook };
  return env.__track ? env.__track(String(url)) : String(url);
});

/** Content compiled once and rendered per recipient (parsing is the slow part of Liquid). */
export interface CompiledContent {
  channel: Channel;
  render(scope: RenderScope, track?: TrackHook): Record<string, unknown>;
}

type Node = string | number | boolean | null | Node[] | { [k: string]: Node };
type Compiled = Template[] | number | boolean | null | Compiled[] | { [k: string]: Compiled };

function compileNode(node: Node): Compiled | { __t: Template[] } | { __s: string } {
  if (typeof node === 'string') {
    const t = engine.parse(node);
    // Text without a tag or an output (an SMS signature, a subject line) renders to itself:
    // kept as the string, it costs nothing per recipient instead of a Liquid render.
    return t.every(isText) ? { __s: t.map((x) => (x as unknown as { str: string }).str).join('') } : { __t: t };
  }
  if (Array.isArray(node)) return node.map((n) => compileNode(n) as Compiled);
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, compileNode(v) as Compiled]));
  return node;
}

const isText = (t: Template): boolean => t.token.kind === TokenKind.HTML && typeof (t as unknown as { str?: unknown }).str === 'string';

function renderNode(c: unknown, scope: object): unknown {
  if (c && typeof c === 'object' && '__s' in c) return (c as { __s: string }).__s;
  if (c && typeof c === 'object' && '__t' in c) return engine.renderSync((c as { __t: Template[] }).__t, scope);
  if (Array.isArray(c)) return c.map((x) => renderNode(x, scope));
  if (c && typeof c === 'object') return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, renderNode(v, scope)]));
  return c;
}

export interface RenderOptions {
  /** The workspace's SMS opt-out line (delivery policy `smsOptOut`); appended to marketing SMS that lack it. */
  smsOptOut?: string | null;
}

/** Parses every Liquid string of the content; throws a Liquid error naming the bad tag. */
export function compileContent(channel: Channel, content: Record<string, unknown>, opts: RenderOptions = {}): CompiledContent {
  // `kind` is a plain setting of SMS content, not a template.
  const { kind, ...liquid } = content as { kind?: unknown };
  const compiled = compileNode(liquid as Node);
  const optOut = channel === 'sms' && kind !== 'transactional' ? opts.smsOptOut ?? null : null;
  return {
    channel,
    render(scope, track) {
      const out = renderNode(compiled, { ...scope, __track: track }) as Record<string, unknown>;
      if (kind !== undefined) out.kind = kind;
      if (channel === 'sms') out.text = smsText(String(out.signature ?? ''), String(out.body ?? ''), optOut);
      return out;
    },
  };
}

/**
 * What the handset shows: the 【signature】 first, as Chinese carriers require, then the body,
 * then — for marketing SMS — the opt-out line when the body does not already carry it.
 */
export function smsText(signature: string, body: string, optOut: string | null = null): string {
  const sig = signature.startsWith('【') ? signature : `【${signature}】`;
  const tail = optOut && !body.includes(optOut) ? ` ${optOut}` : '';
  return `${sig}${body}${tail}`;
}

/** Cost of one SMS: segments × the provider's unit price (integer minor units). */
export function smsCost(segments: number, unitPrice: number, currency: string): { unitPrice: number; segments: number; total: number; currency: string } {
  return { unitPrice, segments, total: segments * unitPrice, currency };
}

/** Carrier segments: GSM-7 160/153 per part, otherwise UCS-2 70/67 per part. */
export function smsInfo(text: string): { segments: number; encoding: string; characters: number } {
  const m = new smsSegments.SegmentedMessage(text);
  return { segments: m.segmentsCount, encoding: m.encodingName, characters: m.numberOfCharacters };
}
