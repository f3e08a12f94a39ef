import { Button, Result } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../i18n/i18n-context.ts';

export function NotFoundPage() {
  const { t } = useI18n();
  return <Result status="404" title="404" subTitle={t('notFound.text')} extra={<Link to="/"><Button type="primary">{t('notFound.home')}</Button></Link>} />;
}
