/** Money is integer fen (minor units); the console shows yuan with two decimals. */
export function formatFen(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return '—';
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  const yuan = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/** Yuan typed by a person (e.g. 199.5) to integer fen, without float drift. */
export function yuanToFen(yuan: number): number {
  return Math.round(yuan * 100);
}
