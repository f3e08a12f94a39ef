import { Card, Col, Row, Skeleton, Space, Statistic, Typography } from 'antd';
import { api } from '../api/client.ts';
import { campaignStatuses, type Overview } from '../api/types.ts';
import { StatusTag } from '../campaigns/status.tsx';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { toShownError } from '../common/api-errors.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';

/** Workspace counts from GET /v1/overview. */
export function HomePage() {
  const { t } = useI18n();
  const { data, error } = useAsync(() => api.get<Overview>('/v1/overview'), []);
  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('home.title')}</Typography.Title></div>
      <ErrorAlert error={error ? toShownError(error) : null} />
      {!data ? <Skeleton active /> : (
        <Space orientation="vertical" size="large" style={{ width: '100%' }}>
          <Row gutter={[16, 16]}>
            <Col xs={24} sm={8}><Card><Statistic title={t('home.users')} value={data.users} data-testid="stat-users" /></Card></Col>
            <Col xs={24} sm={8}><Card><Statistic title={t('home.eventsToday')} value={data.eventsToday} data-testid="stat-events-today" /></Card></Col>
            <Col xs={24} sm={8}><Card><Statistic title={t('home.campaignsRunning')} value={data.campaignsRunning} data-testid="stat-campaigns-running" /></Card></Col>
          </Row>
          <Card title={t('home.byStatus')}>
            <Row gutter={[16, 16]}>
              {campaignStatuses.map((s) => (
                <Col key={s} xs={12} sm={8} md={4}>
                  <Space orientation="vertical" size={4}>
                    <StatusTag status={s} />
                    <Typography.Text strong style={{ fontSize: 20 }}>{data.campaignsByStatus[s] ?? 0}</Typography.Text>
                  </Space>
                </Col>
              ))}
            </Row>
          </Card>
        </Space>
      )}
    </>
  );
}
