import { useEffect, useMemo, useRef, useState } from 'react';
import { call, newRequestId, type Drawn, type Exchanged, type LotteryPageData } from './api.ts';
import { codeOf, ErrorView, Toast, usePage } from './common.tsx';
import { date, percent } from './format.ts';
import { landingIndex, RING, ringCells, spinPlan } from './grid.ts';
import { errorKey, type Lang, type T } from './i18n.ts';

interface Props { t: T; lang: Lang; token: string; pageId: string }

/**
 * The lottery page: a 9-grid whose highlight runs around the ring and lands on the prize the
 * server drew (the animation starts only after the answer, so it never shows another prize),
 * then the result, the remaining chances, the prize table with odds and the user's prizes.
 */
export function LotteryPage({ t, lang, token, pageId }: Props) {
  const path = `/v1/h5/lottery/${encodeURIComponent(pageId)}`;
  const { data, error, reload } = usePage<LotteryPageData>(token, path);
  const [active, setActive] = useState<number | null>(null);
  const [spinning, setSpinning] = useState(false);
  const [result, setResult] = useState<Drawn | null>(null);
  const [toast, setToast] = useState<string | null>(null);
  const [chances, setChances] = useState<number | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const cells = useMemo(() => ringCells(data?.lottery.prizes ?? [], t('lottery.noPrize')), [data, t]);
  if (error) return <ErrorView t={t} code={error} />;
  if (!data) return <div className="h5-page"><div className="h5-loading">{t('loading')}</div></div>;
  const left = chances ?? data.chances;
  const cost = data.lottery.costPerDraw;
  const rate = data.lottery.pointsPerChance;

  const exchange = async () => {
    try {
      const x = await call<Exchanged>(token, 'POST', `${path}/exchange`, { chances: 1, requestId: newRequestId() });
      setChances(x.chances);
      setToast(t('lottery.exchanged', { n: 1 }));
      await reload();
    } catch (err) {
      setToast(t(errorKey(codeOf(err))));
    }
  };
  const noPrizeOdds = Math.max(0, 1 - data.lottery.prizes.reduce((s, p) => s + p.probability, 0));

  const draw = async () => {
    if (spinning) return;
    setResult(null);
    setSpinning(true);
    let drawn: Drawn;
    try {
      drawn = await call<Drawn>(token, 'POST', `${path}/draw`, { requestId: newRequestId() });
    } catch (err) {
      setSpinning(false);
      setToast(t(errorKey(codeOf(err))));
      return;
    }
    const from = active ?? 0;
    const to = landingIndex(cells, drawn.prize?.key ?? null, drawn.drawId.length + drawn.drawId.charCodeAt(drawn.drawId.length - 1));
    const plan = spinPlan(from, to);
    let at = from;
    const step = (i: number) => {
      if (i >= plan.length) {
        setSpinning(false);
        setResult(drawn);
        if (drawn.chances !== null) setChances(drawn.chances);
        void reload();
        return;
      }
      timer.current = window.setTimeout(() => {
        at = (at + 1) % 8;
        setActive(at);
        step(i + 1);
      }, plan[i]);
    };
    step(0);
  };

  const grid = Array.from({ length: 9 }, (_, pos) => {
    if (pos === 4) {
      return (
        <button key="go" type="button" className="h5-grid-go" data-testid="draw" disabled={spinning || left < cost} onClick={() => void draw()}>
          <span>{spinning ? t('lottery.drawing') : t('lottery.draw')}</span>
          <small>{t('lottery.chances', { n: left })}</small>
        </button>
      );
    }
    const ringIndex = RING.indexOf(pos as (typeof RING)[number]);
    const cell = cells[ringIndex]!;
    const on = active === ringIndex;
    return (
      <div key={pos} className={`h5-grid-cell${on ? ' active' : ''}${cell.key === null ? ' blank' : ''}`} data-testid="grid-cell" data-key={cell.key ?? ''} data-active={on ? 'true' : 'false'}>
        <span className="h5-grid-icon">{cell.key === null ? '☺' : '★'}</span>
        <span className="h5-grid-name">{cell.name}</span>
      </div>
    );
  });

  return (
    <div className="h5-page h5-lottery">
      <header className="h5-hero">
        <h1>{data.lottery.name}</h1>
        <div className="h5-hero-sub">{t('lottery.period', { start: date(data.lottery.startAt, lang, data.timezone), end: date(data.lottery.endAt, lang, data.timezone) })}</div>
      </header>
      <section className="h5-grid" data-testid="grid">{grid}</section>
      <div className="h5-chances" data-testid="chances" data-chances={left}>{t('lottery.chances', { n: left })}</div>
      {rate !== null && data.points !== null ? (
        <div className="h5-exchange">
          <span className="h5-muted" data-testid="points" data-points={data.points}>{t('lottery.points.have', { points: data.points })}</span>
          <button type="button" className="h5-btn" data-testid="exchange" disabled={spinning || data.points < rate} onClick={() => void exchange()}>{t('lottery.exchange', { cost: rate })}</button>
        </div>
      ) : null}
      {result && !spinning ? (
        <section className="h5-card h5-result" data-testid="draw-result" data-draw-id={result.drawId} data-prize-key={result.prize?.key ?? ''}>
          {result.prize ? (
            <>
              <div className="h5-win">{t('lottery.won', { name: result.prize.name })}</div>
              {result.prize.couponCode ? <div className="h5-code">{t('lottery.couponCode', { code: result.prize.couponCode })}</div> : null}
              {result.prize.points ? <div>{t('lottery.points', { points: result.prize.points })}</div> : null}
            </>
          ) : <div>{t('lottery.lost')}</div>}
        </section>
      ) : null}
      <section className="h5-card">
        <h2>{t('lottery.odds')}</h2>
        <table className="h5-odds" data-testid="odds">
          <tbody>
            {data.lottery.prizes.map((p) => (
              <tr key={p.key}><td>{p.name}</td><td className="h5-num">{percent(p.probability)}</td></tr>
            ))}
            {noPrizeOdds > 1e-9 ? <tr><td>{t('lottery.noPrizeOdds')}</td><td className="h5-num">{percent(noPrizeOdds)}</td></tr> : null}
          </tbody>
        </table>
      </section>
      <section className="h5-card">
        <h2>{t('lottery.mine')}</h2>
        {data.myPrizes.length === 0 ? <div className="h5-muted">{t('lottery.none')}</div> : (
          <ul className="h5-list" data-testid="my-prizes">
            {data.myPrizes.map((p) => (
              <li key={p.drawId} data-draw-id={p.drawId}>
                <span>{p.name}</span>
                <span className="h5-muted">{[p.couponCode ?? (p.points ? t('lottery.points', { points: p.points }) : ''), date(p.at, lang, data.timezone)].filter(Boolean).join(' · ')}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {toast ? <Toast t={t} text={toast} onClose={() => setToast(null)} /> : null}
    </div>
  );
}
