import { Empty, Typography } from 'antd';
import { formatTime } from '../common/dates.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { HistoryPoint } from './segment-api.ts';

const W = 720;
const H = 220;
const PAD = { left: 56, right: 16, top: 16, bottom: 36 };

/** A grid step of 1, 2 or 5 × 10^n (at least 1: counts are whole) giving about four lines up to `max`. */
function niceStep(max: number): number {
  const raw = Math.max(max, 1) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  return Math.max(1, ([1, 2, 5, 10].find((m) => m * p >= raw) ?? 10) * p);
}

/** Short local date and time of a snapshot for the x axis (the full time is in the point's tooltip). */
const shortTime = (iso: string, lang: string) => new Date(iso).toLocaleString(lang, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });

/**
 * Snapshot counts over time (GET /v1/segments/{id}/history) as an SVG line chart: time on x
 * (evenly spaced by snapshot, labelled by date), count on y from 0. Drawn by hand — a dozen
 * lines of SVG do not justify a chart library in the bundle.
 */
export function HistoryChart({ points }: { points: HistoryPoint[] }) {
  const { t, lang } = useI18n();
  if (points.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('segments.historyEmpty')} />;
  const sorted = [...points].sort((a, b) => a.computedAt.localeCompare(b.computedAt));
  const step = niceStep(Math.max(...sorted.map((p) => p.count)));
  const top = Math.max(step, Math.ceil(Math.max(...sorted.map((p) => p.count)) / step) * step);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (sorted.length === 1 ? innerW / 2 : (i * innerW) / (sorted.length - 1));
  const y = (c: number) => PAD.top + innerH - (c / top) * innerH;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const labelEvery = Math.max(1, Math.ceil(sorted.length / 6));

  return (
    <div style={{ overflowX: 'auto' }}>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" style={{ maxWidth: W, minWidth: 360 }} role="img" aria-label={t('segments.history')} data-testid="history-chart" data-points={sorted.length}>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} stroke="#f0f0f0" />
            <text x={PAD.left - 8} y={y(v) + 4} textAnchor="end" fontSize={11} fill="#8c8c8c">{v.toLocaleString()}</text>
          </g>
        ))}
        <polyline fill="none" stroke="#1677ff" strokeWidth={2} points={sorted.map((p, i) => `${x(i)},${y(p.count)}`).join(' ')} />
        {sorted.map((p, i) => (
          <g key={p.snapshotId}>
            <circle cx={x(i)} cy={y(p.count)} r={4} fill="#1677ff" data-testid="history-point" data-count={p.count}>
              <title>{`${formatTime(p.computedAt, lang)} · ${p.count.toLocaleString()} · ${p.reason}`}</title>
            </circle>
            {(i % labelEvery === 0 || i === sorted.length - 1) && (
              <text x={x(i)} y={H - PAD.bottom + 16} textAnchor={sorted.length > 1 && i === 0 ? 'start' : sorted.length > 1 && i === sorted.length - 1 ? 'end' : 'middle'} fontSize={10} fill="#8c8c8c">{shortTime(p.computedAt, lang)}</text>
            )}
          </g>
        ))}
      </svg>
      <Typography.Text type="secondary">{t('segments.historyLatest', { count: sorted[sorted.length - 1]!.count.toLocaleString(), n: sorted.length })}</Typography.Text>
    </div>
  );
}
