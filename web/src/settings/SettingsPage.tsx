import { Card, Col, Row, Table, Tabs, Tag, Typography } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { ConsoleUser, Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';
import { DeliveryPolicyCard } from './DeliveryPolicyCard.tsx';
import { InviteCard } from './InviteCard.tsx';
import { ProvidersCard } from './ProvidersCard.tsx';
import { WorkspaceSettingsCard } from './WorkspaceSettingsCard.tsx';

/** Settings in tabs (`?tab=`): workspace, invitations and console users; delivery policy; providers (admins). */
export function SettingsPage() {
  const { t, lang } = useI18n();
  // Invitations and the user list need the admin role (permission "manage").
  const role = useMe().me.role;
  const isAdmin = role === 'admin';
  const canWrite = isAdmin || role === 'operator';
  const [params, setParams] = useSearchParams();
  const users = useAsync(async () => (isAdmin ? api.get<Page<ConsoleUser>>('/v1/console-users?limit=1000') : null), [isAdmin]);
  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('settings.title')}</Typography.Title></div>
      <Tabs
        activeKey={params.get('tab') ?? 'workspace'}
        onChange={(tab) => setParams(tab === 'workspace' ? {} : { tab })}
        destroyOnHidden
        items={[
          { key: 'workspace', label: t('settings.tabs.workspace'), children: (
            <Row gutter={[16, 16]}>
              <Col xs={24} xl={12}><WorkspaceSettingsCard editable={isAdmin} /></Col>
              {isAdmin && <Col xs={24} xl={12}><InviteCard onInvited={() => void users.reload()} /></Col>}
              {isAdmin && <Col span={24}>
                <Card title={t('settings.consoleUsers')}>
                  <ErrorAlert error={users.error ? toShownError(users.error) : null} />
                  <Table<ConsoleUser>
                    rowKey="id" size="small" loading={users.loading} dataSource={users.data?.items ?? []} pagination={false} scroll={{ x: true }}
                    columns={[
                      { title: t('settings.email'), dataIndex: 'email' },
                      { title: t('settings.personName'), dataIndex: 'name', render: (v: string | null) => v ?? '—' },
                      { title: t('settings.role'), dataIndex: 'role', render: (r: ConsoleUser['role']) => <Tag>{t(`role.${r}`)}</Tag> },
                      { title: t('settings.state'), dataIndex: 'activatedAt', render: (v: string | null) => (v ? <Tag color="green">{t('settings.active')}</Tag> : <Tag color="gold">{t('settings.pending')}</Tag>) },
                      { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
                    ]}
                  />
                </Card>
              </Col>}
            </Row>
          ) },
          { key: 'delivery', label: t('settings.tabs.delivery'), children: <DeliveryPolicyCard editable={canWrite} /> },
          ...(isAdmin ? [{ key: 'providers', label: t('settings.tabs.providers'), children: <ProvidersCard /> }] : []),
        ]}
      />
    </>
  );
}
