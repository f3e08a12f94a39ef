import { App, Card, Collapse, Space, Tag, Typography } from 'antd';
import { api } from '../api/client.ts';
import type { Catalog } from '../api/types.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { liquidVariables } from './content-model.ts';

const builtIn = new Set(['createdAt', 'phone', 'email', 'platform', 'externalId']);

/** The Liquid variables a template can use (user, attributes from the catalog, campaign, task, coupon) and the filters; click copies `{{ … }}`. */
export function LiquidHelp() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const catalog = useAsync(() => api.get<Catalog>('/v1/catalog'), []);
  const attributes = (catalog.data?.attributes ?? []).filter((a) => !builtIn.has(a.name)).map((a) => `user.${a.name}`);

  const copy = (v: string) => {
    const text = `{{ ${v} }}`;
    void navigator.clipboard?.writeText(text).then(() => message.success(t('templates.copied', { text })), () => undefined);
  };
  const group = (vars: readonly string[]) => (
    <Space wrap size={[4, 4]}>
      {vars.map((v) => <Tag key={v} style={{ cursor: 'pointer', fontFamily: 'ui-monospace, Menlo, monospace' }} onClick={() => copy(v)}>{`{{ ${v} }}`}</Tag>)}
    </Space>
  );

  return (
    <Card size="small" title={t('templates.variables')} data-testid="liquid-help">
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('templates.variablesHint')}</Typography.Paragraph>
      <Collapse size="small" defaultActiveKey={['user']} items={[
        { key: 'user', label: t('templates.var.user'), children: group(liquidVariables.user) },
        { key: 'attributes', label: `${t('templates.var.attributes')} (${attributes.length})`, children: group(attributes) },
        { key: 'campaign', label: t('templates.var.campaign'), children: group(liquidVariables.campaign) },
        { key: 'task', label: t('templates.var.task'), children: group(liquidVariables.task) },
        { key: 'coupon', label: t('templates.var.coupon'), children: group(liquidVariables.coupon) },
        { key: 'filters', label: t('templates.var.filters'), children: group(liquidVariables.filters) },
      ]} />
    </Card>
  );
}
