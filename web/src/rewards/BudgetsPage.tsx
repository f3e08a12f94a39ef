import { App, Button, Card, Col, Empty, Form, Input, InputNumber, Row, Select, Statistic, Typography } from 'antd';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, query } from '../api/client.ts';
import type { Campaign, Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatFen, yuanToFen } from '../common/money.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';
import { LedgerTable } from './CouponTemplateDetailPage.tsx';
import type { Budget } from './types.ts';

/**
 * Campaign budgets: reserved at grant by face value, settled at redemption, and the ledger of
 * every movement. Approvers and admins top a budget up here (POST …/budget/top-ups); the
 * request and its approval are the same act, recorded with who did it and why.
 */
export function BudgetsPage() {
  const { t } = useI18n();
  const { me } = useMe();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const campaignId = params.get('campaign') ?? undefined;
  const campaigns = useAsync(() => api.get<Page<Campaign>>(`/v1/campaigns${query({ limit: 500 })}`), []);
  const budget = useAsync(() => (campaignId ? api.get<Budget>(`/v1/campaigns/${campaignId}/budget?limit=200`) : Promise.resolve(null)), [campaignId]);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ amount: number; reason: string }>();
  const mayApprove = me.role === 'approver' || me.role === 'admin';

  const topUp = async (v: { amount: number; reason: string }) => {
    setBusy(true);
    try {
      await api.post(`/v1/campaigns/${campaignId}/budget/top-ups`, { amount: yuanToFen(v.amount), reason: v.reason });
      form.resetFields();
      message.success(t('rewards.budget.toppedUp'));
      await budget.reload();
    } catch (err) {
      message.error(toShownError(err).message);
    } finally {
      setBusy(false);
    }
  };

  const b = budget.data;
  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('rewards.budget.title')}</Typography.Title></div>
      <Card style={{ marginBottom: 16 }}>
        <Select
          showSearch optionFilterProp="label" placeholder={t('rewards.budget.pickCampaign')} value={campaignId} style={{ width: 360 }} data-testid="budget-campaign"
          onChange={(v: string) => setParams({ campaign: v })} options={(campaigns.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
        />
      </Card>
      <ErrorAlert error={budget.error ? toShownError(budget.error) : null} />
      {!campaignId ? <Empty description={t('rewards.budget.pickCampaign')} /> : b ? (
        <>
          <Card style={{ marginBottom: 16 }}>
            {b.unlimited ? <Typography.Text>{t('rewards.budget.unlimited')}</Typography.Text> : (
              <Row gutter={16}>
                <Col xs={12} md={4}><Statistic title={t('rewards.budget.amount')} value={formatFen(b.amount)} data-testid="budget-amount" /></Col>
                <Col xs={12} md={4}><Statistic title={t('rewards.budget.toppedUpTotal')} value={formatFen(b.toppedUp)} /></Col>
                <Col xs={12} md={4}><Statistic title={t('rewards.budget.reserved')} value={formatFen(b.reserved)} /></Col>
                <Col xs={12} md={4}><Statistic title={t('rewards.budget.spent')} value={formatFen(b.spent)} /></Col>
                <Col xs={12} md={4}><Statistic title={t('rewards.budget.remaining')} value={formatFen(b.remaining)} data-testid="budget-remaining" /></Col>
              </Row>
            )}
          </Card>
          {!b.unlimited ? (
            <Card title={t('rewards.budget.topUp')} style={{ marginBottom: 16 }}>
              {mayApprove ? (
                <Form form={form} layout="inline" onFinish={(v) => void topUp(v)}>
                  <Form.Item name="amount" rules={[{ required: true, message: t('common.required') }]}><InputNumber min={0.01} step={0.01} addonBefore="¥" data-testid="topup-amount" /></Form.Item>
                  <Form.Item name="reason" rules={[{ required: true, message: t('common.required') }]}><Input placeholder={t('rewards.budget.reason')} style={{ width: 280 }} data-testid="topup-reason" /></Form.Item>
                  <Button type="primary" htmlType="submit" loading={busy} data-testid="topup-submit">{t('rewards.budget.approveTopUp')}</Button>
                </Form>
              ) : <Typography.Text type="secondary">{t('rewards.budget.approverOnly')}</Typography.Text>}
            </Card>
          ) : null}
          <Card title={t('rewards.budget.ledger')}><LedgerTable rows={b.ledger} /></Card>
        </>
      ) : null}
    </>
  );
}
