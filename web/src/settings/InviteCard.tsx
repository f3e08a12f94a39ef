import { Alert, Button, Card, Form, Input, Select, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api/client.ts';
import { roles, type Invitation, type Role } from '../api/types.ts';
import { applyApiError, topLevelFields, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useI18n } from '../i18n/i18n-context.ts';

interface InviteValues {
  email: string;
  role: Role;
  name?: string;
}

/** POST /v1/console-users/invite; shows the invite link to copy and send. */
export function InviteCard({ onInvited }: { onInvited: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<InviteValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const [invitation, setInvitation] = useState<Invitation | null>(null);

  const invite = async (v: InviteValues) => {
    setBusy(true);
    setError(null);
    try {
      const inv = await api.post<Invitation>('/v1/console-users/invite', { email: v.email.trim(), role: v.role, ...(v.name?.trim() ? { name: v.name.trim() } : {}) });
      setInvitation(inv);
      form.resetFields();
      onInvited();
    } catch (err) {
      setError(applyApiError(form, err, topLevelFields('email', 'role', 'name')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('settings.invite')}>
      <ErrorAlert error={error} />
      <Form form={form} layout="vertical" requiredMark={false} initialValues={{ role: 'operator' }} onFinish={(v) => void invite(v)}>
        <Form.Item name="email" label={t('settings.email')} rules={[{ required: true, type: 'email', message: t('login.emailRequired') }]}>
          <Input data-testid="invite-email" />
        </Form.Item>
        <Form.Item name="name" label={t('settings.personName')}>
          <Input />
        </Form.Item>
        <Form.Item name="role" label={t('settings.role')}>
          <Select options={roles.map((r) => ({ value: r, label: t(`role.${r}`) }))} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="invite-send">{t('settings.sendInvite')}</Button>
      </Form>
      {invitation && (
        <Alert
          type="success"
          showIcon
          style={{ marginTop: 16 }}
          title={t('settings.invited', { email: invitation.email })}
          description={<Typography.Paragraph copyable={{ text: invitation.inviteUrl }} style={{ marginBottom: 0, wordBreak: 'break-all' }} data-testid="invite-url">{invitation.inviteUrl}</Typography.Paragraph>}
        />
      )}
    </Card>
  );
}
