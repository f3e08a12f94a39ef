import { Button, Card, Col, Empty, Form, Input, InputNumber, Row, Select, Table, Tag, Tree, Typography } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { api, query } from '../api/client.ts';
import type { Campaign, Page } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';

interface Program { id: string; name: string; campaignId: string | null; reward: { points: number } | { couponTemplateId: string }; active: boolean; createdAt: string }
interface Top { items: { externalId: string; invitees: number; converted: number }[] }
interface Downline { externalId: string; depth: number; count: number; truncated: boolean; items: { externalId: string; level: number; invitedBy: string; programId: string | null; createdAt: string }[] }
interface TreeNode { key: string; title: string; children: TreeNode[] }

/** The invitation tree under `root` (A invited B who invited C) from the flat downline rows. */
export function downlineTree(root: string, items: Downline['items']): TreeNode {
  const nodes = new Map<string, TreeNode>([[root, { key: root, title: root, children: [] }]]);
  for (const it of [...items].sort((a, b) => a.level - b.level)) {
    const node = { key: it.externalId, title: it.externalId, children: [] };
    nodes.set(it.externalId, node);
    nodes.get(it.invitedBy)?.children.push(node);
  }
  return nodes.get(root)!;
}

/** Referral programs, the top inviters (KOLs) of a campaign or of all, and one user's downline as a tree. */
export function ReferralsPage() {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const campaignId = params.get('campaign') ?? undefined;
  const who = params.get('externalId') ?? '';
  const depth = Number(params.get('depth') ?? 3) || 3;
  const programs = useAsync(() => api.get<Page<Program>>('/v1/referrals/programs?limit=1000'), []);
  const campaigns = useAsync(() => api.get<Page<Campaign>>(`/v1/campaigns${query({ limit: 500 })}`), []);
  const top = useAsync(() => api.get<Top>(`/v1/referrals/top${query({ campaignId, limit: 20 })}`), [campaignId]);
  const downline = useAsync(() => (who ? api.get<Downline>(`/v1/referrals/${encodeURIComponent(who)}/downline?depth=${depth}`) : Promise.resolve(null)), [who, depth]);
  const set = (patch: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) if (v) next.set(k, v); else next.delete(k);
    setParams(next);
  };
  const tree = downline.data ? downlineTree(downline.data.externalId, downline.data.items) : null;
  return (
    <>
      <div className="page-header"><Typography.Title level={3}>{t('rewards.referrals.title')}</Typography.Title></div>
      <ErrorAlert error={programs.error ? toShownError(programs.error) : top.error ? toShownError(top.error) : null} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={t('rewards.referrals.top')} extra={
            <Select allowClear placeholder={t('rewards.referrals.allCampaigns')} value={campaignId} style={{ width: 220 }} onChange={(v?: string) => set({ campaign: v })}
              options={(campaigns.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))} />
          }>
            <Table
              rowKey="externalId" size="small" loading={top.loading} dataSource={top.data?.items ?? []} pagination={false} data-testid="top-inviters"
              columns={[
                { title: '#', key: 'rank', width: 48, render: (_: unknown, __: unknown, i: number) => i + 1 },
                { title: t('rewards.externalId'), dataIndex: 'externalId', render: (v: string) => <a onClick={() => set({ externalId: v })}>{v}</a> },
                { title: t('rewards.referrals.invitees'), dataIndex: 'invitees', align: 'right' as const },
                { title: t('rewards.referrals.converted'), dataIndex: 'converted', align: 'right' as const },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('rewards.referrals.downline')}>
            <Form layout="inline" key={`${who}:${depth}`} initialValues={{ externalId: who, depth }} onFinish={(v: { externalId: string; depth: number }) => set({ externalId: v.externalId.trim() || undefined, depth: String(v.depth) })} style={{ marginBottom: 12 }}>
              <Form.Item name="externalId"><Input placeholder={t('rewards.externalId')} style={{ width: 200 }} data-testid="downline-external-id" /></Form.Item>
              <Form.Item name="depth" label={t('rewards.referrals.depth')}><InputNumber min={1} max={10} style={{ width: 70 }} /></Form.Item>
              <Button type="primary" htmlType="submit">{t('rewards.lookup')}</Button>
            </Form>
            <ErrorAlert error={downline.error ? toShownError(downline.error) : null} />
            {!who ? <Empty description={t('rewards.referrals.enter')} /> : tree ? (
              <>
                <Typography.Paragraph type="secondary">{t('rewards.referrals.count', { n: downline.data!.count })}{downline.data!.truncated ? ` · ${t('rewards.referrals.truncated')}` : ''}</Typography.Paragraph>
                {tree.children.length ? <Tree treeData={[tree]} defaultExpandAll selectable={false} data-testid="downline-tree" /> : <Empty description={t('rewards.referrals.none')} />}
              </>
            ) : null}
          </Card>
        </Col>
      </Row>
      <Card title={t('rewards.referrals.programs')} style={{ marginTop: 16 }}>
        <Table<Program>
          rowKey="id" size="small" loading={programs.loading} dataSource={programs.data?.items ?? []} pagination={false}
          columns={[
            { title: t('rewards.name'), dataIndex: 'name' },
            { title: t('rewards.lotteries.reward'), key: 'reward', render: (_: unknown, p) => ('points' in p.reward ? t('rewards.lotteries.pointsN', { n: p.reward.points }) : <Tag>{p.reward.couponTemplateId}</Tag>) },
            { title: t('rewards.coupons.campaign'), dataIndex: 'campaignId', render: (v: string | null) => v ?? '—' },
            { title: t('rewards.state'), dataIndex: 'active', render: (v: boolean) => (v ? <Tag color="green">{t('rewards.active')}</Tag> : <Tag>{t('rewards.referrals.inactive')}</Tag>) },
            { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, lang) },
          ]}
        />
      </Card>
    </>
  );
}
