import { Select } from 'antd';
import { useI18n } from '../i18n/i18n-context.ts';
import type { Lang } from '../i18n/lang.ts';

const labels: Record<Lang, string> = { 'en-US': 'English', 'zh-CN': '简体中文' };

/** Header language picker; antd's locale follows. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <Select<Lang>
      aria-label={t('layout.language')}
      data-testid="lang-switch"
      value={lang}
      onChange={setLang}
      style={{ width: 120 }}
      options={(Object.keys(labels) as Lang[]).map((l) => ({ value: l, label: labels[l] }))}
    />
  );
}
