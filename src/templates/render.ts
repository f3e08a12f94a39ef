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
/** A content node compiled once into a function of the scope (a delivery batch renders it a thousand times). */
type Renderer = (scope: object) => unknown;

function compileNode(node: Node): Renderer {
  if (typeof node === 'string') {
    const t = engine.parse(node);
    // Text without a tag or an output (an SMS signature, a subject line) renders to itself:
    // kept as the string, it costs nothing per recipient instead of a Liquid render.
    if (t.every(isText)) {
      const text = t.map((x) => (x as unknown as { str: string }).str).join('');
      return () => text;
    }
    return (scope) => engine.renderSync(t, scope);
  }
  if (Array.isArray(node)) {
    const items = node.map(compileNode);
    return (scope) => items.map((f) => f(scope));
  }
  if (node && typeof node === 'object') {
    const fields = Object.entries(node).map(([k, v]) => [k, compileNode(v)] as const);
    return (scope) => {
      const out: Record<string, unknown> = {};
      for (const [k, f] of fields) {
        // A WeChat `data` key is the operator's: `__proto__` must stay a field, as Object.fromEntries would make it.
        if (k === '__proto__') Object.defineProperty(out, k, { value: f(scope), enumerable: true, writable: true, configurable: true });
        else out[k] = f(scope);
      }
      return out;
    };
  }
  return () => node;
}

const isText = (t: Template): boolean => t.token.kind === TokenKind.HTML && typeof (t as unknown as { str?: unknown }).str === 'string';

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
      const out = compiled(Object.assign({}, scope, { __track: track })) as Record<string, unknown>;
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
