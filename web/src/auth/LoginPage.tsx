import { Button, Card, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { api } from '../api/client.ts';
import { applyApiError, topLevelFields, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useI18n } from '../i18n/i18n-context.ts';
import { LanguageSwitch } from '../layout/LanguageSwitch.tsx';

interface LoginValues {
  email: string;
  password: string;
  workspace?: string;
}

/** Email + password (+ workspace slug when the email is in several) → session cookie. */
export function LoginPage() {
  const { t } = useI18n();
  const [form] = Form.useForm<LoginValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;

  const submit = async (v: LoginValues) => {
    setBusy(true);
    setError(null);
    try {
      await api.post('/v1/auth/login', { email: v.email.trim(), password: v.password, ...(v.workspace?.trim() ? { workspace: v.workspace.trim() } : {}) }, { authCall: true });
      navigate(from && from.startsWith('/') && !from.startsWith('/login') ? from : '/', { replace: true });
    } catch (err) {
      setError(applyApiError(form, err, topLevelFields('email', 'password', 'workspace')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth-page">
      <Card className="auth-card" title={<Space><span>Marketloop</span><Typography.Text type="secondary">{t('login.title')}</Typography.Text></Space>} extra={<LanguageSwitch />}>
        <ErrorAlert error={error} />
        <Form form={form} layout="vertical" onFinish={(v) => void submit(v)} requiredMark={false} data-testid="login-form">
          <Form.Item name="email" label={t('login.email')} rules={[{ required: true, type: 'email', message: t('login.emailRequired') }]}>
            <Input autoComplete="username" data-testid="login-email" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password autoComplete="current-password" data-testid="login-password" />
          </Form.Item>
          <Form.Item name="workspace" label={t('login.workspace')} extra={t('login.workspaceHint')}>
            <Input placeholder="my-shop" data-testid="login-workspace" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">{t('login.submit')}</Button>
        </Form>
      </Card>
    </div>
  );
}
