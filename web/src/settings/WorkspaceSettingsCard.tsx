import { App, Button, Card, Form, Input, Switch } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { Workspace } from '../api/types.ts';
import { applyApiError, topLevelFields, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';

type WorkspaceValues = Pick<Workspace, 'name' | 'timezone' | 'currency' | 'requireApproval' | 'requireTemplateReview'>;

/** GET / PATCH /v1/workspace; read-only for roles that may not change settings. */
export function WorkspaceSettingsCard({ editable }: { editable: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { reloadMe } = useMe();
  const [form] = Form.useForm<WorkspaceValues>();
  const ws = useAsync(() => api.get<Workspace>('/v1/workspace'), []);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (ws.data) form.setFieldsValue(ws.data);
  }, [ws.data, form]);

  const save = async (v: WorkspaceValues) => {
    setBusy(true);
    setError(null);
    try {
      const next = await api.patch<Workspace>('/v1/workspace', { ...v, name: v.name.trim(), timezone: v.timezone.trim(), currency: v.currency.trim().toUpperCase() });
      form.setFieldsValue(next);
      void message.success(t('settings.saved'));
      void reloadMe();
    } catch (err) {
      setError(applyApiError(form, err, topLevelFields('name', 'timezone', 'currency', 'requireApproval', 'requireTemplateReview')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('settings.workspace')} loading={!ws.data && !ws.error}>
      <ErrorAlert error={error ?? (ws.error ? { message: ws.error.message, unmatched: [] } : null)} />
      <Form form={form} layout="vertical" requiredMark={false} onFinish={(v) => void save(v)} style={{ maxWidth: 520 }} disabled={!editable}>
        <Form.Item label={t('settings.slug')}>
          <Input value={ws.data?.slug} disabled />
        </Form.Item>
        <Form.Item name="name" label={t('settings.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
          <Input data-testid="ws-name" />
        </Form.Item>
        <Form.Item name="timezone" label={t('settings.timezone')} extra="Asia/Shanghai, Europe/Berlin, …" rules={[{ required: true, message: t('common.required') }]}>
          <Input data-testid="ws-timezone" />
        </Form.Item>
        <Form.Item name="currency" label={t('settings.currency')} rules={[{ required: true, len: 3, message: t('settings.currencyRule') }]}>
          <Input maxLength={3} style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="requireApproval" label={t('settings.requireApproval')} valuePropName="checked" extra={t('settings.requireApprovalHint')}>
          <Switch />
        </Form.Item>
        <Form.Item name="requireTemplateReview" label={t('settings.requireTemplateReview')} valuePropName="checked">
          <Switch />
        </Form.Item>
        {editable && <Button type="primary" htmlType="submit" loading={busy} data-testid="ws-save">{t('common.save')}</Button>}
      </Form>
    </Card>
  );
}
