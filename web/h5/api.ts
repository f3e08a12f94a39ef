/**
 * The H5 pages' calls to the public API (docs/h5.md): the link's token goes in X-H5-Token, a
 * device id kept in localStorage in X-Device-Id (the per-device rate limit), and the browser
 * sends its Accept-Language itself.
 */
export class H5Error extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

const DEVICE_KEY = 'marketloop.h5.device';

function deviceId(): string {
  try {
    let id = window.localStorage.getItem(DEVICE_KEY);
    if (!id || !/^[A-Za-z0-9_-]{8,100}$/.test(id)) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = `d${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
      window.localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    return ''; // storage disabled: the server's cookie names the device
  }
}

export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function call<T>(token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const device = deviceId();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { 'x-h5-token': token, ...(device ? { 'x-device-id': device } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new H5Error('network', String(err), 0);
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new H5Error(e?.code ?? 'other', e?.message ?? res.statusText, res.status);
  }
  return json as T;
}

export interface Head { pageId: string; externalId: string; campaignId: string | null; expiresAt: string; currency: string; timezone: string }
export interface Offer { id: string; name: string; type: 'threshold' | 'direct' | 'percent'; value: number; minSpend: number; maxDiscount: number | null; claimStart: string; claimEnd: string; validity: { from: string; to: string } | { days: number } }
export interface MyCoupon { code: string; validFrom: string; validTo: string; status?: string }
export interface CouponPageData extends Head { page: 'coupon'; offer: Offer; myCoupons: MyCoupon[] }
export interface Claimed { couponId: string; code: string; validFrom: string; validTo: string; repeated: boolean }

export interface PrizeOdds { key: string; name: string; probability: number }
export interface WonPrize { key: string; name: string; couponCode?: string; points?: number }
export interface LotteryPageData extends Head {
  page: 'lottery';
  lottery: { id: string; name: string; startAt: string; endAt: string; prizes: PrizeOdds[]; costPerDraw: number; pointsPerChance: number | null };
  chances: number;
  points: number | null;
  myPrizes: (WonPrize & { drawId: string; at: string })[];
}
export interface Drawn { drawId: string; prize: WonPrize | null; chances: number | null }
export interface Exchanged { chances: number; pointsSpent: number; pointsBalance: number }
