import type { Lang } from './i18n.ts';

/** Minor units → "¥19.90" (or the workspace currency's symbol), trailing ".00" dropped. */
export function money(minor: number, currency: string, lang: Lang): string {
  const major = minor / 100;
  try {
    const s = new Intl.NumberFormat(lang, { style: 'currency', currency, minimumFractionDigits: Number.isInteger(major) ? 0 : 2 }).format(major);
    return currency === 'CNY' ? s.replace('CN¥', '¥') : s;
  } catch {
    return `${major.toFixed(2)} ${currency}`;
  }
}

export function date(iso: string, lang: Lang, timezone: string): string {
  try {
    return new Intl.DateTimeFormat(lang, { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
  } catch {
    return iso.slice(0, 10);
  }
}

export function percent(p: number): string {
  const v = p * 100;
  return `${v >= 10 || v === 0 ? v.toFixed(v % 1 === 0 ? 0 : 1) : v.toPrecision(2)}%`;
}
