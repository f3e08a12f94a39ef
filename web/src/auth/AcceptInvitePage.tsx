import { Button, Card, Form, Input, Result } from 'antd';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { applyApiError, topLevelFields, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useI18n } from '../i18n/i18n-context.ts';
import { LanguageSwitch } from '../layout/LanguageSwitch.tsx';

interface AcceptValues {
  name?: string;
  password: string;
  confirm: string;
}

/** /accept-invite?token=…: an invited console user sets a password. */
export function AcceptInvitePage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [form] = Form.useForm<AcceptValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const [doneEmail, setDoneEmail] = useState<string | null>(null);

  const submit = async (v: AcceptValues) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<{ email: string }>('/v1/auth/accept-invite', { token, password: v.password, ...(v.name?.trim() ? { name: v.name.trim() } : {}) }, { authCall: true });
      setDoneEmail(r.email);
    } catch (err) {
      setError(applyApiError(form, err, topLevelFields('password', 'name')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth-page">
      <Card className="auth-card" title={t('invite.title')} extra={<LanguageSwitch />}>
        {!token ? (
          <Result status="warning" title={t('invite.noToken')} />
        ) : doneEmail ? (
          <Result status="success" title={t('invite.done')} subTitle={doneEmail} extra={<Link to="/login"><Button type="primary" data-testid="go-login">{t('invite.toLogin')}</Button></Link>} />
        ) : (
          <>
            <ErrorAlert error={error} />
            <Form form={form} layout="vertical" onFinish={(v) => void submit(v)} requiredMark={false}>
              <Form.Item name="name" label={t('invite.name')}>
                <Input data-testid="invite-name" />
              </Form.Item>
              <Form.Item name="password" label={t('invite.password')} rules={[{ required: true, min: 8, message: t('invite.passwordRule') }]}>
                <Input.Password autoComplete="new-password" data-testid="invite-password" />
              </Form.Item>
              <Form.Item
                name="confirm"
                label={t('invite.confirm')}
                dependencies={['password']}
                rules={[{ required: true, message: t('invite.confirmRequired') }, ({ getFieldValue }) => ({
                  validator: (_, value: string) => (value === getFieldValue('password') ? Promise.resolve() : Promise.reject(new Error(t('invite.mismatch')))),
                })]}
              >
                <Input.Password autoComplete="new-password" data-testid="invite-confirm" />
              </Form.Item>
              <Button type="primary" htmlType="submit" block loading={busy} data-testid="invite-submit">{t('invite.submit')}</Button>
            </Form>
          </>
        )}
      </Card>
    </div>
  );
}
