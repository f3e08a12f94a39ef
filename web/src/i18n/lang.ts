export type Lang = 'en-US' | 'zh-CN';
export const langs: readonly Lang[] = ['en-US', 'zh-CN'];

const STORAGE_KEY = 'marketloop.lang';

/** The operator's last choice, else the browser's language (any zh-* → zh-CN). */
export function initialLang(): Lang {
  const saved = window.localStorage.getItem(STORAGE_KEY);
  if (saved === 'en-US' || saved === 'zh-CN') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en-US';
}

export function saveLang(lang: Lang): void {
  window.localStorage.setItem(STORAGE_KEY, lang);
}
