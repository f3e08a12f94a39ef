import { Card, Input, Table, Typography } from 'antd';
import { Link, useSearchParams } from 'react-router-dom';
import { api, query } from '../api/client.ts';
import type { Page, User } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatFen } from '../common/money.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';

/** Search users by externalId (or its prefix), phone or email; `?q=` keeps the search in the URL. */
export function UsersPage() {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const { data, error, loading } = useAsync(() => api.get<Page<User>>(`/v1/users${query({ q, limit: 100 })}`), [q]);

  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('users.title')}</Typography.Title></div>
      <Card>
        <Input.Search
          placeholder={t('users.searchPlaceholder')}
          defaultValue={q}
          allowClear
          enterButton
          onSearch={(v) => setParams(v.trim() ? { q: v.trim() } : {})}
          style={{ maxWidth: 480, marginBottom: 16 }}
          data-testid="users-search"
        />
        <ErrorAlert error={error ? toShownError(error) : null} />
        <Table<User>
          rowKey="externalId"
          loading={loading}
          dataSource={data?.items ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          scroll={{ x: true }}
          columns={[
            { title: t('users.externalId'), dataIndex: 'externalId', render: (v: string) => <Link to={`/users/${encodeURIComponent(v)}`}>{v}</Link> },
            { title: t('users.phone'), dataIndex: 'phone', render: (v: string | null) => v ?? '—' },
            { title: t('users.email'), dataIndex: 'email', render: (v: string | null) => v ?? '—' },
            { title: t('users.orderCount'), dataIndex: 'orderCount', align: 'right' },
            { title: t('users.orderTotal'), dataIndex: 'orderTotal', align: 'right', render: (v: number) => formatFen(v) },
            { title: t('users.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
          ]}
        />
      </Card>
    </>
  );
}
