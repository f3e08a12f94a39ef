import { Card, Empty, Form, Input, Button, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { PointsBalance, PointsEntry } from './types.ts';

/** Points of one user: balance, the next points to lapse, and the ledger (credit, debit, expire). `?externalId=` keeps the lookup in the URL. */
export function PointsPage() {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const externalId = params.get('externalId') ?? '';
  const path = `/v1/points/${encodeURIComponent(externalId)}`;
  const balance = useAsync(() => (externalId ? api.get<PointsBalance>(path) : Promise.resolve(null)), [externalId]);
  const history = useAsync(() => (externalId ? api.get<Page<PointsEntry>>(`${path}/history?limit=200`) : Promise.resolve(null)), [externalId]);
  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('rewards.points.title')}</Typography.Title></div>
      <Card style={{ marginBottom: 16 }}>
        <Form layout="inline" initialValues={{ externalId }} onFinish={(v: { externalId: string }) => setParams(v.externalId ? { externalId: v.externalId.trim() } : {})}>
          <Form.Item name="externalId"><Input placeholder={t('rewards.externalId')} style={{ width: 260 }} data-testid="points-external-id" /></Form.Item>
          <Button type="primary" htmlType="submit" data-testid="points-lookup">{t('rewards.lookup')}</Button>
        </Form>
      </Card>
      <ErrorAlert error={balance.error ? toShownError(balance.error) : history.error ? toShownError(history.error) : null} />
      {!externalId ? <Empty description={t('rewards.points.enter')} /> : balance.data ? (
        <>
          <Card style={{ marginBottom: 16 }}>
            <Space size="large" align="start">
              <Statistic title={t('rewards.points.balance')} value={balance.data.balance} data-testid="points-balance" />
              <div>
                <Typography.Text type="secondary">{t('rewards.points.expiring')}</Typography.Text>
                {balance.data.expiring.length === 0 ? <div>—</div> : balance.data.expiring.map((e) => <div key={e.expiresAt}>{e.amount} · {formatTime(e.expiresAt, lang)}</div>)}
              </div>
            </Space>
          </Card>
          <Card title={t('rewards.points.history')}>
            <Table<PointsEntry>
              rowKey="id" size="small" loading={history.loading} dataSource={history.data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }}
              columns={[
                { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
                { title: t('rewards.points.kind'), dataIndex: 'kind', render: (v: PointsEntry['kind']) => <Tag color={v === 'credit' ? 'green' : v === 'debit' ? 'blue' : 'default'}>{t(`rewards.points.kind.${v}`)}</Tag> },
                { title: t('rewards.points.amount'), dataIndex: 'amount', align: 'right' },
                { title: t('rewards.points.balanceAfter'), dataIndex: 'balanceAfter', align: 'right' },
                { title: t('rewards.budget.reason'), dataIndex: 'reason' },
                { title: t('rewards.points.refId'), dataIndex: 'refId' },
              ]}
            />
          </Card>
        </>
      ) : null}
    </>
  );
}
