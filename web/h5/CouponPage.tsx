import { useState } from 'react';
import { call, newRequestId, type Claimed, type CouponPageData, type Offer } from './api.ts';
import { codeOf, ErrorView, Toast, usePage } from './common.tsx';
import { date, money } from './format.ts';
import { errorKey, type Lang, type T } from './i18n.ts';

interface Props { t: T; lang: Lang; token: string; pageId: string }

/** The coupon page: the offer, a claim button, the result, and the user's coupons of this template. */
export function CouponPage({ t, lang, token, pageId }: Props) {
  const path = `/v1/h5/coupon/${encodeURIComponent(pageId)}`;
  const { data, error, reload } = usePage<CouponPageData>(token, path);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Claimed | null>(null);
  const [toast, setToast] = useState<string | null>(null);

  if (error) return <ErrorView t={t} code={error} />;
  if (!data) return <div className="h5-page"><div className="h5-loading">{t('loading')}</div></div>;
  const o = data.offer;
  const m = (v: number) => money(v, data.currency, lang);
  const d = (iso: string) => date(iso, lang, data.timezone);

  const claim = async () => {
    setBusy(true);
    try {
      setResult(await call<Claimed>(token, 'POST', `${path}/claim`, { requestId: newRequestId() }));
      await reload();
    } catch (err) {
      setToast(t(errorKey(codeOf(err))));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="h5-page">
      <header className="h5-hero">
        <div className="h5-hero-sub">{t('coupon.title')}</div>
        <h1>{o.name}</h1>
      </header>
      <section className="h5-coupon" data-testid="offer">
        <div className="h5-coupon-value">{headline(o, t, m)}</div>
        <div className="h5-coupon-rules">
          <div>{o.type === 'threshold' && o.minSpend > 0 ? t('coupon.threshold', { value: m(o.value), minSpend: m(o.minSpend) }) : t('coupon.noMinimum')}</div>
          {o.type === 'percent' && o.maxDiscount ? <div>{t('coupon.percentCap', { maxDiscount: m(o.maxDiscount) })}</div> : null}
          <div>{'days' in o.validity ? t('coupon.validDays', { days: o.validity.days }) : t('coupon.validRange', { from: d(o.validity.from), to: d(o.validity.to) })}</div>
          <div>{t('coupon.claimWindow', { end: d(o.claimEnd) })}</div>
        </div>
      </section>
      {result ? (
        <section className="h5-card h5-result" data-testid="claim-result">
          <div>{t(result.repeated ? 'coupon.repeated' : 'coupon.claimed')}</div>
          <div className="h5-code" data-testid="coupon-code">{result.code}</div>
          <div className="h5-muted">{t('coupon.validTo', { to: d(result.validTo) })}</div>
        </section>
      ) : (
        <button type="button" className="h5-btn h5-btn-big" data-testid="claim" disabled={busy} onClick={() => void claim()}>
          {busy ? t('coupon.claiming') : t('coupon.claim')}
        </button>
      )}
      <section className="h5-card">
        <h2>{t('coupon.mine')}</h2>
        {data.myCoupons.length === 0 ? <div className="h5-muted">{t('coupon.none')}</div> : (
          <ul className="h5-list" data-testid="my-coupons">
            {data.myCoupons.map((c) => (
              <li key={c.code}>
                <span className="h5-code-small">{c.code}</span>
                <span className="h5-muted">{c.status ? t(`coupon.status.${c.status}` as Parameters<T>[0]) : ''} · {t('coupon.validTo', { to: d(c.validTo) })}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {toast ? <Toast t={t} text={toast} onClose={() => setToast(null)} /> : null}
    </div>
  );
}

function headline(o: Offer, t: T, m: (v: number) => string): string {
  if (o.type === 'percent') return t('coupon.percent', { value: o.value, discount: String((100 - o.value) / 10) });
  return o.type === 'direct' ? t('coupon.direct', { value: m(o.value) }) : m(o.value);
}
