import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';

/**
 * The coupons and alerts services (contracts.md), reached through this one file. They were
 * written at the same time as this domain, so until both have landed they are loaded on first
 * use: a missing module means "not there yet" (no kill switch to check, alerts logged only,
 * a coupon prize cannot be delivered and stays pending for the retry job). Once they have
 * landed everywhere, these become plain static imports.
 */
export interface GrantCouponInput {
  workspaceId: string; templateId: string; userId: string;
  source: 'api' | 'task' | 'lottery' | 'h5'; sourceRef: string;
}
export interface GrantedCoupon { couponId: string; code: string; validFrom: Date; validTo: Date; repeated: boolean }
export interface AlertInput {
  workspaceId: string; kind: string; severity: 'info' | 'warning' | 'critical';
  subject: { type: 'coupon_template' | 'lottery' | 'campaign' | 'points' | 'referral'; id: string }; message: string; data?: object;
}
type RateSource = (p: Platform, workspaceId: string, from: Date, to: Date) => Promise<{ subject: { type: string; id: string }; count: number }[]>;
interface CouponsApi { grantCoupon(p: Platform, input: GrantCouponInput): Promise<GrantedCoupon> }
interface AlertsApi {
  raiseAlert(p: Platform, a: AlertInput): Promise<void>;
  assertNotKilled(p: Platform, workspaceId: string, subjects: { type: string; id: string }[]): Promise<void>;
  registerRateSource(name: string, fn: RateSource): void;
}

const COUPONS = '../coupons/coupons.service.ts';
const ALERTS = '../alerts/alerts.service.ts';

async function load<T>(path: string): Promise<T | null> {
  try {
    return (await import(/* @vite-ignore */ path)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const msg = err instanceof Error ? err.message : '';
    if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|does not exist/i.test(msg)) return null;
    throw err;
  }
}

/** grantCoupon of contracts.md. Throws its AppErrors; `internal_error` while the coupons service is not there (the delivery job retries). */
export async function grantCoupon(p: Platform, input: GrantCouponInput): Promise<GrantedCoupon> {
  const coupons = await load<CouponsApi>(COUPONS);
  if (!coupons?.grantCoupon) throw new AppError('internal_error', 'The coupons service is not available yet.');
  return coupons.grantCoupon(p, input);
}

/** raiseAlert of contracts.md; logged when the alerts service is not there. */
export async function raiseAlert(p: Platform, a: AlertInput): Promise<void> {
  const alerts = await load<AlertsApi>(ALERTS);
  if (alerts?.raiseAlert) return alerts.raiseAlert(p, a);
  p.log.warn({ alert: a }, 'alert (alerts service not available)');
}

/** assertNotKilled of contracts.md; throws AppError('killed'). Nothing to check without the alerts service. */
export async function assertNotKilled(p: Platform, workspaceId: string, subjects: { type: string; id: string }[]): Promise<void> {
  const alerts = await load<AlertsApi>(ALERTS);
  if (alerts?.assertNotKilled) await alerts.assertNotKilled(p, workspaceId, subjects);
}

/** registerRateSource of contracts.md, as soon as the alerts service can be loaded. */
export function registerRateSource(p: Platform, name: string, fn: RateSource): void {
  load<AlertsApi>(ALERTS).then((alerts) => alerts?.registerRateSource?.(name, fn)).catch((err) => p.log.warn({ err }, 'rate source not registered'));
}
