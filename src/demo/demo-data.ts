import type { EventInput, UserInput } from '../customers/customers.schema.ts';
import { Random } from './random.ts';

/**
 * A synthetic but plausible shop history: who registered when, what they browsed, carted and
 * paid. Pure: (seed, user index, anchor) → the same user and events every time, so a re-run
 * with the same seed reproduces (and deduplicates against) what an earlier run stored, and a
 * run with more users is a superset of a run with fewer.
 */

export const DAY = 86_400_000;
const HOUR = 3_600_000;
const MIN = 60_000;
export const WINDOW_DAYS = 90;
/** The demo workspace's timezone (Asia/Shanghai: UTC+8 all year, no DST). */
export const TIMEZONE = 'Asia/Shanghai';
const TZ_OFFSET = 8 * HOUR;

// ---------- reference data ----------

const cities = ['Shanghai', 'Beijing', 'Guangzhou', 'Shenzhen', 'Hangzhou', 'Chengdu', 'Wuhan', 'Nanjing', 'Chongqing', "Xi'an"] as const;
const cityWeights = [16, 15, 12, 12, 9, 9, 7, 7, 7, 6];
const channels = ['app_store', 'wechat_mini_program', 'douyin_ads', 'baidu_search', 'referral', 'offline_store'] as const;
const channelWeights = [25, 30, 15, 10, 12, 8];
const platforms = ['ios', 'android', 'web'] as const;
const platformWeights = [35, 50, 15];
const surnames = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林'];
const surnamePinyin = ['wang', 'li', 'zhang', 'liu', 'chen', 'yang', 'huang', 'zhao', 'wu', 'zhou', 'xu', 'sun', 'ma', 'zhu', 'hu', 'guo', 'he', 'lin'];
// Given names (with pinyin for email local parts), by gender.
const givenNames: Record<string, [string, string][]> = {
  female: [['芳', 'fang'], ['娜', 'na'], ['敏', 'min'], ['静', 'jing'], ['丽', 'li'], ['艳', 'yan'], ['娟', 'juan'], ['秀英', 'xiuying'], ['婷', 'ting'], ['子涵', 'zihan'], ['欣怡', 'xinyi'], ['雨桐', 'yutong']],
  male: [['伟', 'wei'], ['强', 'qiang'], ['磊', 'lei'], ['军', 'jun'], ['洋', 'yang'], ['勇', 'yong'], ['杰', 'jie'], ['涛', 'tao'], ['明', 'ming'], ['超', 'chao'], ['浩然', 'haoran'], ['宇轩', 'yuxuan']],
};
// Reserved example domains (RFC 2606): demo addresses can never reach a real inbox.
const emailDomains = ['example.com', 'example.net', 'example.org'];
// China Mobile / Unicom / Telecom number blocks starting 13, 15 and 18.
const phonePrefixes = ['130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156', '157', '158', '159', '180', '181', '182', '183', '184', '185', '186', '187', '188', '189'];

const categories = ['beauty', 'apparel', 'digital', 'home', 'food', 'baby', 'sports'] as const;
type Category = (typeof categories)[number];
const categoryWeightsBy: Record<string, number[]> = {
  female: [30, 25, 5, 12, 15, 10, 3],
  male: [5, 15, 30, 12, 15, 5, 18],
  unknown: [14, 20, 18, 12, 15, 8, 13],
};
const skuPrefix: Record<Category, string> = { beauty: 'BEA', apparel: 'APP', digital: 'DIG', home: 'HOM', food: 'FOO', baby: 'BAB', sports: 'SPO' };
const searches = ['防晒霜', '连衣裙', '蓝牙耳机', '空气炸锅', '坚果礼盒', '纸尿裤', '跑步鞋', 'lipstick', 'iphone case', '保温杯'];
const activities = ['/activity/double11', '/activity/new-arrivals', '/activity/member-day', '/activity/flash-sale'];
const adCampaigns = ['ext_douyin_autumn', 'ext_baidu_brand', 'ext_wechat_moments', 'ext_xiaohongshu_kol'];
const payMethods = ['wechat_pay', 'alipay', 'unionpay'] as const;
const payWeights = [52, 40, 8];
// Relative activity by local hour (Chinese shoppers: lunch break and 20:00–22:00 peaks).
const hourWeights = [3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 7, 8, 10, 9, 8, 7, 7, 8, 9, 11, 13, 14, 12, 7];
const hourTotal = hourWeights.reduce((a, b) => a + b, 0);
const hourCdf = hourWeights.reduce<number[]>((cdf, w) => [...cdf, cdf[cdf.length - 1]! + w / hourTotal], [0]);
// Orders per repeat buyer: 2..10, fewer as it grows.
const repeatCounts = [2, 3, 4, 5, 6, 7, 8, 9, 10];
const repeatWeights = [30, 20, 14, 10, 8, 6, 5, 4, 3];

/** The catalog is fixed (not seed-dependent): the same SKU has the same list price in every demo. */
interface Sku { sku: string; category: Category; price: number }
const catalog: Record<Category, Sku[]> = (() => {
  const r = new Random(20_261_111);
  const out = {} as Record<Category, Sku[]>;
  for (const c of categories) {
    out[c] = Array.from({ length: 12 }, (_, i) => ({ sku: `${skuPrefix[c]}-${1001 + i}`, category: c, price: shopPrice(r.logNormal(12_000, 0.7)) }));
  }
  return out;
})();

/** Fen rounded the way shops price: ¥X9.90 style, at least ¥9.90. */
function shopPrice(fen: number): number {
  return Math.max(990, Math.round(fen / 1000) * 1000 - 10);
}

// ---------- generation ----------

/** Order amounts: log-normal, mean ≈ ¥200 (20,000 fen), median ≈ ¥145, long right tail. */
export const ORDER_MEAN = 20_000;
const ORDER_SIGMA = 0.8;

export interface DemoUser {
  user: UserInput;
  /** createdAt in ms (registration; every event of the user is at or after it). */
  registeredAt: number;
  /** The user's events in time order; the first is `register`. */
  events: EventInput[];
  orders: number;
}

export const externalIdOf = (i: number): string => `u${String(i + 1).padStart(6, '0')}`;

const localDayStart = (t: number): number => Math.floor((t + TZ_OFFSET) / DAY) * DAY - TZ_OFFSET;

/**
 * Shoppers' hours: a monotone warp of each local day onto itself that stretches the quiet night
 * hours and packs the evening peak (the inverse CDF of `hourWeights`). The history is generated
 * on an even clock relative to the anchor and warped at the end, so the content (which users,
 * events, amounts) never depends on the time of day of the anchor, and since each day maps onto
 * itself in order, "after registration", "before now" and event order all survive the warp.
 * The anchor's own day and the window's first (partial) day are left even.
 */
function dayWarp(anchor: number): (t: number) => number {
  const today = localDayStart(anchor);
  const firstDay = localDayStart(anchor - WINDOW_DAYS * DAY);
  return (t) => {
    const d = localDayStart(t);
    if (d >= today || d <= firstDay) return t;
    const f = (t - d) / DAY;
    let h = 0;
    while (h < 23 && hourCdf[h + 1]! <= f) h++;
    const within = (f - hourCdf[h]!) / (hourCdf[h + 1]! - hourCdf[h]!);
    return d + (h + Math.min(0.999_999, within)) * HOUR;
  };
}

const timeBetween = (r: Random, lo: number, hi: number): number => lo + r.next() * (hi - lo);

function phoneNumber(r: Random): string {
  return r.pick(phonePrefixes) + String(r.int(0, 99_999_999)).padStart(8, '0');
}

/**
 * One user with their history up to `anchor` (ms). Registration is spread over the 90 days
 * before the anchor with mild growth (more sign-ups recently).
 */
export function demoUser(seed: number, i: number, anchor: number): DemoUser {
  const r = new Random(seed, i);
  const start = anchor - WINDOW_DAYS * DAY;
  // Density ∝ 1 + x over the window (x: 0 → 1): inverse CDF of (x + x²/2) / 1.5.
  const x = -1 + Math.sqrt(1 + 3 * r.next());
  const regDay = start + x * (WINDOW_DAYS * DAY - HOUR);
  const registeredAt = Math.floor(timeBetween(r, Math.max(start, regDay - 12 * HOUR), Math.min(anchor - HOUR, regDay + 12 * HOUR)));
  const warp = dayWarp(anchor);

  const gender = r.weighted(['female', 'male', 'unknown'], [56, 41, 3]);
  const age = Math.min(65, Math.max(18, Math.round(31 + 8 * r.normal())));
  const city = r.weighted(cities, cityWeights);
  const channel = r.weighted(channels, channelWeights);
  const platform = r.weighted(platforms, platformWeights);
  const s = r.int(0, surnames.length - 1);
  const [given, givenPinyin] = r.pick(givenNames[gender === 'unknown' ? r.pick(['female', 'male']) : gender]!);
  const externalId = externalIdOf(i);

  const user: UserInput = { externalId, platform };
  if (r.chance(0.97)) user.phone = phoneNumber(r); // the rest signed up through WeChat only
  if (r.chance(0.35)) user.email = `${surnamePinyin[s]}.${givenPinyin}${r.int(1, 9999)}@${r.pick(emailDomains)}`;
  if (channel === 'wechat_mini_program' || r.chance(0.45)) user.wechatOpenId = `o${r.token(27, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`;
  if (platform !== 'web' && r.chance(0.65)) user.pushToken = `demo-push-${r.token(32, '0123456789abcdef')}`;

  // Behaviour: whether and how often they buy, and how active they are.
  const buyer = r.chance(0.45);
  const plannedOrders = buyer ? (r.chance(0.62) ? 1 : r.weighted(repeatCounts, repeatWeights)) : 0;
  const sessionsPerDay = Math.min(2, r.logNormal(buyer ? 0.16 : 0.09, 1.0));
  const catWeights = categoryWeightsBy[gender]!;

  const events: { ts: number; name: string; properties: Record<string, unknown> }[] = [];
  const emit = (ts: number, name: string, properties: Record<string, unknown>) => {
    if (ts <= anchor) events.push({ ts: Math.floor(ts), name, properties });
  };
  const product = (): Sku => r.pick(catalog[r.weighted(categories, catWeights)]);

  // Orders first (their sessions are fixed points in the timeline).
  const orderTimes: number[] = [];
  if (plannedOrders > 0) {
    const first = registeredAt + 15 * MIN + r.exponential(6 * DAY);
    if (first < anchor - 5 * MIN) {
      orderTimes.push(first);
      const room = anchor - first - HOUR;
      const more = room > DAY ? plannedOrders - 1 : 0;
      const later = Array.from({ length: more }, () => timeBetween(r, first + HOUR, anchor - 5 * MIN)).sort((a, b) => a - b);
      for (const t of later) if (t - orderTimes[orderTimes.length - 1]! >= 30 * MIN) orderTimes.push(t);
    }
  }

  // Registration session.
  emit(registeredAt, 'register', { channel, platform });
  browse(registeredAt + r.int(5, 60) * 1000, r.chance(0.5) ? '/' : r.pick(activities), false);

  // Browsing sessions between registration and now.
  const activeDays = (anchor - registeredAt) / DAY;
  const sessions = Math.min(80, r.poisson(sessionsPerDay * activeDays));
  for (let k = 0; k < sessions; k++) {
    const t = timeBetween(r, registeredAt + 10 * MIN, anchor);
    const fromAd = r.chance(0.08);
    browse(t, fromAd ? r.pick(activities) : r.weighted(['/', '/category', '/product', '/search'], [40, 20, 30, 10]), fromAd);
  }

  // Order sessions: look, cart, pay.
  let spent = 0;
  orderTimes.forEach((t, n) => {
    const lines = r.weighted([1, 2, 3], [60, 25, 15]);
    const target = r.logNormal(ORDER_MEAN, ORDER_SIGMA);
    const weights = Array.from({ length: lines }, () => 0.5 + r.next());
    const wsum = weights.reduce((a, b) => a + b, 0);
    const items = weights.map((w) => {
      const p = product();
      // Quantity is folded into the line price for multi-unit lines (a pack), so amount = Σ price × quantity holds.
      return { sku: p.sku, category: p.category, price: shopPrice((target * w) / wsum), quantity: 1 };
    });
    const amount = items.reduce((a, it) => a + it.price * it.quantity, 0);
    spent += amount;
    let at = t - (lines * 2 + 2) * MIN - r.int(0, 120) * 1000;
    for (const it of items) {
      emit(at, 'page_view', { url: `/product/${it.sku}`, source: 'app' });
      at += r.int(20, 90) * 1000;
      emit(at, 'add_to_cart', { sku: it.sku, price: it.price, quantity: it.quantity, category: it.category });
      at += r.int(20, 60) * 1000;
    }
    emit(Math.min(at, t - 30_000), 'page_view', { url: '/cart', source: 'app' });
    emit(t, 'order_paid', {
      orderId: `SO-${seed}-${externalId.slice(1)}-${String(n + 1).padStart(2, '0')}`,
      amount, items, itemCount: items.length, payMethod: r.weighted(payMethods, payWeights),
    });
  });

  function browse(t: number, landing: string, fromAd: boolean) {
    const pages = 1 + Math.min(7, Math.floor(r.exponential(1.8)));
    let url = landing;
    let lastSku: Sku | null = null;
    for (let p = 0; p < pages; p++) {
      if (url === '/product') lastSku = product();
      const shown = url === '/product' ? `/product/${lastSku!.sku}` : url === '/category' ? `/category/${r.weighted(categories, catWeights)}` : url === '/search' ? `/search?q=${encodeURIComponent(r.pick(searches))}` : url;
      const props: Record<string, unknown> = { url: shown, source: fromAd ? 'ad' : r.weighted(['app', 'wechat_share', 'push'], [80, 14, 6]) };
      if (fromAd && p === 0) props.campaignId = r.pick(adCampaigns); // most page views carry no campaignId
      emit(t, 'page_view', props);
      t += r.int(15, 180) * 1000;
      url = r.weighted(['/product', '/category', '/search', '/cart', '/'], [50, 20, 15, 10, 5]);
    }
    // An abandoned cart now and then (orders have their own carts above).
    if (lastSku && r.chance(buyer ? 0.18 : 0.1)) emit(t, 'add_to_cart', { sku: lastSku.sku, price: lastSku.price, quantity: r.weighted([1, 2], [85, 15]), category: lastSku.category });
  }

  // Profile attributes that summarise the history (membership grows with spend).
  const memberLevel = spent >= 300_000 ? 'platinum' : spent >= 100_000 ? 'gold' : spent >= 30_000 ? 'silver' : 'normal';
  user.attributes = {
    name: surnames[s] + given, city, age, channel, memberLevel, points: Math.floor(spent / 100),
    smsOptIn: r.chance(0.92), ...(gender === 'unknown' ? {} : { gender }),
  };

  events.sort((a, b) => a.ts - b.ts); // stable: `register` stays first
  // Distinct, strictly increasing instants per user so sequences ("cart, then pay") are unambiguous.
  const strictlyIncreasing = () => {
    for (let k = 1; k < events.length; k++) if (events[k]!.ts <= events[k - 1]!.ts) events[k]!.ts = events[k - 1]!.ts + 1;
  };
  strictlyIncreasing();
  let last = events.length - 1;
  while (last > 0 && events[last]!.ts > anchor) last--;
  events.length = last + 1;
  for (const e of events) e.ts = Math.floor(warp(e.ts));
  strictlyIncreasing();
  const createdAt = events[0]!.ts; // the register event
  user.createdAt = new Date(createdAt).toISOString();
  const out: EventInput[] = events.map((e, k) => ({
    externalId, name: e.name, timestamp: new Date(e.ts).toISOString(), properties: e.properties, messageId: `demo-${seed}-${externalId}-${k}`,
  }));
  return { user, registeredAt: createdAt, events: out, orders: out.filter((e) => e.name === 'order_paid').length };
}

/** The console password of a demo workspace: derived from the seed, so it can be printed again. */
export function demoPassword(seed: number): string {
  return `demo-${new Random(seed, 0x5eed).token(10, 'abcdefghjkmnpqrstuvwxyz23456789')}`;
}
