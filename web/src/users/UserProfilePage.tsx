import { Card, Col, Descriptions, Empty, Row, Skeleton, Table, Tabs, Tag, Timeline, Typography } from 'antd';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { Page, User, UserEvent, UserMessage } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatFen } from '../common/money.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One user: profile, attributes, order stats, event timeline and messages. */
export function UserProfilePage() {
  const { t, lang } = useI18n();
  const externalId = useParams().externalId ?? '';
  const path = `/v1/users/${encodeURIComponent(externalId)}`;
  const user = useAsync(() => api.get<User>(path), [path]);
  const events = useAsync(() => api.get<Page<UserEvent>>(`${path}/events?limit=100`), [path]);
  const messages = useAsync(() => api.get<{ items: UserMessage[] }>(`${path}/messages?limit=100`), [path]);
  const u = user.data;

  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}><Link to="/users">{t('users.title')}</Link> / {externalId}</Typography.Title>
      </div>
      <ErrorAlert error={user.error ? toShownError(user.error) : null} />
      {!u ? (user.error ? null : <Skeleton active />) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={12}>
            <Card title={t('profile.profile')}>
              <Descriptions column={1} size="small" items={[
                { key: 'externalId', label: t('users.externalId'), children: u.externalId },
                { key: 'phone', label: t('users.phone'), children: u.phone ?? '—' },
                { key: 'email', label: t('users.email'), children: u.email ?? '—' },
                { key: 'platform', label: t('profile.platform'), children: u.platform ?? '—' },
                { key: 'createdAt', label: t('users.createdAt'), children: formatTime(u.createdAt, lang) },
                { key: 'updatedAt', label: t('profile.updatedAt'), children: formatTime(u.updatedAt, lang) },
              ]} />
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card title={t('profile.orders')}>
              <Descriptions column={1} size="small" items={[
                { key: 'orderCount', label: t('users.orderCount'), children: <span data-testid="profile-order-count">{u.orderCount}</span> },
                { key: 'orderTotal', label: t('users.orderTotal'), children: formatFen(u.orderTotal) },
                { key: 'firstOrderAt', label: t('profile.firstOrderAt'), children: formatTime(u.firstOrderAt, lang) },
                { key: 'lastOrderAt', label: t('profile.lastOrderAt'), children: formatTime(u.lastOrderAt, lang) },
              ]} />
            </Card>
          </Col>
          <Col span={24}>
            <Card title={t('profile.attributes')}>
              {Object.keys(u.attributes).length === 0 ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} /> : (
                <Descriptions bordered size="small" column={{ xs: 1, sm: 2, lg: 3 }} items={Object.entries(u.attributes).map(([k, v]) => ({ key: k, label: k, children: show(v) }))} />
              )}
            </Card>
          </Col>
          <Col span={24}>
            <Card>
              <Tabs items={[
                {
                  key: 'events', label: t('profile.events'),
                  children: events.loading && !events.data ? <Skeleton active /> : (events.data?.items.length ?? 0) === 0 ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} /> : (
                    <Timeline items={(events.data?.items ?? []).map((e) => ({
                      key: e.id,
                      color: e.name.startsWith('$') ? 'gray' : e.name === 'order_paid' ? 'green' : 'blue',
                      content: (
                        <div>
                          <Typography.Text strong>{e.name}</Typography.Text>{' '}
                          <Typography.Text type="secondary">{formatTime(e.timestamp, lang)}</Typography.Text>
                          {e.properties && Object.keys(e.properties).length > 0 ? <div><Typography.Text code style={{ fontSize: 12 }}>{JSON.stringify(e.properties)}</Typography.Text></div> : null}
                        </div>
                      ),
                    }))} />
                  ),
                },
                {
                  key: 'messages', label: t('profile.messages'),
                  children: (
                    <>
                    <Link to={`/messages?user=${encodeURIComponent(externalId)}`} data-testid="open-message-log">{t('messages.title')} →</Link>
                    <Table<UserMessage>
                      rowKey="id" size="small" loading={messages.loading} dataSource={messages.data?.items ?? []} pagination={false} scroll={{ x: true }}
                      columns={[
                        { title: t('profile.channel'), dataIndex: 'channel', render: (v: string) => <Tag>{v}</Tag> },
                        { title: t('profile.status'), dataIndex: 'status', render: (v: string, m) => <>{v}{m.reason ? <Typography.Text type="secondary"> ({m.reason})</Typography.Text> : null}</> },
                        { title: t('profile.campaign'), dataIndex: 'campaignId', render: (v: string) => <Link to={`/campaigns/${v}`}>{v}</Link> },
                        { title: t('profile.sentAt'), dataIndex: 'sentAt', render: (v: string | null) => formatTime(v, lang) },
                        { title: t('profile.deliveredAt'), dataIndex: 'deliveredAt', render: (v: string | null) => formatTime(v, lang) },
                        { title: t('profile.clickedAt'), dataIndex: 'firstClickedAt', render: (v: string | null) => formatTime(v, lang) },
                      ]}
                    />
                    </>
                  ),
                },
              ]} />
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}
