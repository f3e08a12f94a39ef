import { Random } from '../../src/demo/random.ts';

/**
 * A realistic event stream for ingestion benchmarks: many users, a shop's mix of names, real
 * property payloads (order lines, URLs, Chinese search terms), unique messageIds.
 */
export const MIX = { page_view: 64, add_to_cart: 14, search: 8, app_open: 8, order_paid: 6 } as const;
const names = Object.keys(MIX) as (keyof typeof MIX)[];
const weights = Object.values(MIX);

const categories = ['beauty', 'apparel', 'digital', 'home', 'food', 'baby', 'sports'];
const searches = ['防晒霜', '连衣裙', '蓝牙耳机', '空气炸锅', '坚果礼盒', '纸尿裤', '跑步鞋', 'lipstick', 'iphone case', '保温杯'];
const pages = ['/', '/cart', '/activity/double11', '/activity/member-day', '/category/beauty', '/category/digital', '/search'];

export interface BenchEvent {
  externalId: string;
  name: string;
  timestamp: string;
  properties: Record<string, unknown>;
  messageId: string;
}

export const benchExternalId = (i: number): string => `bu${String(i).padStart(7, '0')}`;

/** `count` events of users 0..users-1 with timestamps in the day before `now`; messageIds `<tag>-<n>`. */
export function benchEvents(seed: number, tag: string, count: number, users: number, now: number): BenchEvent[] {
  const r = new Random(seed, 0xbe4c);
  const out: BenchEvent[] = new Array(count);
  for (let n = 0; n < count; n++) {
    const name = r.weighted(names, weights);
    const sku = `${r.pick(['BEA', 'APP', 'DIG', 'HOM', 'FOO', 'BAB', 'SPO'])}-${r.int(1001, 1012)}`;
    let properties: Record<string, unknown>;
    switch (name) {
      case 'page_view':
        properties = { url: r.chance(0.5) ? `/product/${sku}` : r.pick(pages), source: r.weighted(['app', 'wechat_share', 'push', 'ad'], [75, 12, 5, 8]) };
        if (r.chance(0.05)) properties.campaignId = `ext_${r.pick(categories)}_autumn`;
        break;
      case 'add_to_cart':
        properties = { sku, price: Math.round(r.logNormal(12_000, 0.7) / 1000) * 1000 - 10, quantity: r.weighted([1, 2, 3], [80, 15, 5]), category: r.pick(categories) };
        break;
      case 'search':
        properties = { q: r.pick(searches), results: r.int(0, 200) };
        break;
      case 'app_open':
        properties = { platform: r.weighted(['ios', 'android'], [40, 60]), appVersion: `5.${r.int(0, 12)}.${r.int(0, 9)}` };
        break;
      default: {
        const lines = r.weighted([1, 2, 3], [60, 25, 15]);
        const items = Array.from({ length: lines }, () => ({ sku: `${r.pick(['BEA', 'APP', 'DIG', 'HOM'])}-${r.int(1001, 1012)}`, price: Math.max(990, Math.round(r.logNormal(20_000 / lines, 0.8) / 1000) * 1000 - 10), quantity: 1 }));
        properties = { orderId: `${tag}-o${n}`, amount: items.reduce((s, i) => s + i.price, 0), items, payMethod: r.weighted(['wechat_pay', 'alipay', 'unionpay'], [52, 40, 8]) };
      }
    }
    out[n] = {
      externalId: benchExternalId(r.int(0, users - 1)), name, timestamp: new Date(now - Math.floor(r.next() * 86_400_000)).toISOString(),
      properties, messageId: `${tag}-${n}`,
    };
  }
  return out;
}

/** One COPY text-format field (backslash, tab, newline and carriage return escaped). */
export function copyField(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
