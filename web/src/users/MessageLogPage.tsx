import { Button, Card, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, query } from '../api/client.ts';
import type { Page, UserMessage } from '../api/types.ts';
import { toShownError, type ShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useI18n } from '../i18n/i18n-context.ts';

const statuses = ['queued', 'deferred', 'suppressed', 'sent', 'delivered', 'failed'] as const;
type Status = (typeof statuses)[number];
const isStatus = (s: string): s is Status => (statuses as readonly string[]).includes(s);
const colors: Record<Status, string> = { queued: 'default', deferred: 'gold', suppressed: 'orange', sent: 'blue', delivered: 'green', failed: 'red' };
const knownReasons = ['frequency', 'unsubscribed', 'blacklisted', 'noAddress', 'control'] as const;
const isKnownReason = (r: string): r is (typeof knownReasons)[number] => (knownReasons as readonly string[]).includes(r);

/**
 * The message log of one user (GET /v1/users/{externalId}/messages), newest first: status,
 * the reason it was suppressed, deferred or failed, address and times. `?user=` keeps the
 * search in the URL; "load more" follows the cursor.
 */
export function MessageLogPage() {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const user = params.get('user') ?? '';
  const [items, setItems] = useState<UserMessage[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [loading, setLoading] = useState(false);
  const [status, setStatus] = useState<Status | undefined>(undefined);

  const load = async (from: string | null) => {
    if (!user) return;
    setLoading(true);
    setError(null);
    try {
      const page = await api.get<Page<UserMessage>>(`/v1/users/${encodeURIComponent(user)}/messages${query({ limit: 100, cursor: from })}`);
      setItems((prev) => (from ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      setItems([]);
      setCursor(null);
      setError(toShownError(err));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { setItems([]); void load(null); }, [user]);
  const shown = status ? items.filter((m) => m.status === status) : items;

  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('messages.title')}</Typography.Title></div>
      <Card>
        <Typography.Paragraph type="secondary">{t('messages.hint')}</Typography.Paragraph>
        <Space wrap style={{ marginBottom: 16 }}>
          <Input.Search
            placeholder={t('messages.searchPlaceholder')}
            defaultValue={user}
            allowClear
            enterButton
            onSearch={(v) => setParams(v.trim() ? { user: v.trim() } : {})}
            style={{ width: 360 }}
            data-testid="messages-search"
          />
          <Select<Status> allowClear placeholder={t('messages.filterStatus')} value={status} onChange={setStatus} style={{ width: 180 }} options={statuses.map((s) => ({ value: s, label: t(`messageStatus.${s}`) }))} data-testid="messages-status" />
          {user && <Link to={`/users/${encodeURIComponent(user)}`}>{t('messages.openProfile')}</Link>}
        </Space>
        <ErrorAlert error={error} />
        <Table<UserMessage>
          rowKey="id" size="small" loading={loading} dataSource={shown} pagination={false} scroll={{ x: true }} data-testid="messages-table"
          columns={[
            { title: t('messages.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
            { title: t('profile.channel'), dataIndex: 'channel', render: (v: string) => <Tag>{v}</Tag> },
            { title: t('profile.status'), dataIndex: 'status', render: (v: string) => <Tag color={isStatus(v) ? colors[v] : 'default'} data-status={v}>{isStatus(v) ? t(`messageStatus.${v}`) : v}</Tag> },
            { title: t('messages.reason'), dataIndex: 'reason', render: (v: string | null) => (v ? <span data-testid="message-reason">{isKnownReason(v) ? t(`suppressed.${v}`) : v}</span> : '—') },
            { title: t('messages.to'), dataIndex: 'to', render: (v: string | null | undefined) => v ?? '—' },
            { title: t('profile.campaign'), dataIndex: 'campaignId', render: (v: string) => <Link to={`/campaigns/${v}`}>{v}</Link> },
            { title: t('messages.task'), dataIndex: 'taskId' },
            { title: t('profile.sentAt'), dataIndex: 'sentAt', render: (v: string | null) => formatTime(v, lang) },
            { title: t('profile.deliveredAt'), dataIndex: 'deliveredAt', render: (v: string | null) => formatTime(v, lang) },
            { title: t('profile.clickedAt'), dataIndex: 'firstClickedAt', render: (v: string | null) => formatTime(v, lang) },
          ]}
        />
        {cursor && <Button style={{ marginTop: 12 }} loading={loading} onClick={() => void load(cursor)}>{t('common.loadMore')}</Button>}
      </Card>
    </>
  );
}
