import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { CouponPage } from './CouponPage.tsx';
import { LotteryPage } from './LotteryPage.tsx';
import { ErrorView } from './common.tsx';
import { pickLang, translator } from './i18n.ts';
import './h5.css';

/**
 * The H5 reward pages (docs/h5.md), a second, mobile-first app beside the console:
 * `/h5/coupon/{templateId}?t=…` and `/h5/lottery/{lotteryId}?t=…`, where `t` is the user's
 * signed token from `POST /v1/h5/links`.
 */
const lang = pickLang(window.location.search, navigator.languages?.length ? navigator.languages : [navigator.language]);
document.documentElement.lang = lang;
const t = translator(lang);
const match = /^\/h5\/(coupon|lottery)\/([^/]+)\/?$/.exec(window.location.pathname);
const token = new URLSearchParams(window.location.search).get('t') ?? '';
const pageId = match ? decodeURIComponent(match[2]!) : '';

const root = document.getElementById('h5-root');
if (!root) throw new Error('#h5-root is missing from index.html');
createRoot(root).render(
  <StrictMode>
    {!match || !token ? <ErrorView t={t} code={!token ? 'invalid_token' : 'not_found'} />
      : match[1] === 'coupon' ? <CouponPage t={t} lang={lang} token={token} pageId={pageId} />
        : <LotteryPage t={t} lang={lang} token={token} pageId={pageId} />}
  </StrictMode>,
);
