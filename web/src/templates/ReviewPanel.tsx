import { App, Button, Card, Descriptions, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api/client.ts';
import type { Template, TemplateVersion } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { RejectReasonModal } from '../common/RejectReasonModal.tsx';
import { formatTime } from '../common/dates.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';
import { ReviewTag, reviewStatusOf } from './ReviewTag.tsx';

type ReviewAction = 'submit' | 'approve' | 'reject';

/**
 * The review flow of a template (draft → pending_review → approved | rejected): submit,
 * approve, reject with a reason (approvers and admins; the server refuses the submitter when
 * the workspace requires review), and the list of versions.
 */
export function ReviewPanel({ template, onChanged }: { template: Template; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const role = useMe().me.role;
  const canReview = role === 'admin' || role === 'approver';
  const canWrite = role === 'admin' || role === 'operator';
  const status = reviewStatusOf(template);
  const [busy, setBusy] = useState<ReviewAction | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const versions = useAsync(() => api.get<{ items: TemplateVersion[] }>(`/v1/templates/${template.id}/versions`).then((r) => r.items, () => null), [template.id, template.version, status]);

  const run = async (action: ReviewAction, body?: unknown) => {
    setBusy(action);
    try {
      await api.post(`/v1/templates/${template.id}/${action}`, body);
      void message.success(t(`templates.reviewDone.${action}`));
      onChanged();
      return true;
    } catch (err) {
      void message.error(toShownError(err).message);
      return false;
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title={t('templates.review')} size="small" data-testid="review-panel">
      <Descriptions size="small" column={1} items={[
        { key: 'status', label: t('templates.statusCol'), children: <Space><ReviewTag status={status} testId="template-review-status" /><Typography.Text type="secondary">v{template.version}</Typography.Text></Space> },
        { key: 'approved', label: t('templates.approvedVersion'), children: <span data-testid="approved-version">{template.approvedVersion ? `v${template.approvedVersion}` : t('templates.noApproved')}</span> },
        ...(template.reviewNote ? [{ key: 'note', label: t('templates.reviewNote'), children: <span data-testid="review-note">{template.reviewNote}</span> }] : []),
      ]} />
      <Space wrap style={{ margin: '8px 0 12px' }}>
        {canWrite && (status === 'draft' || status === 'rejected') && <Button type="primary" loading={busy === 'submit'} onClick={() => void run('submit')} data-testid="template-submit">{t('templates.submit')}</Button>}
        {canReview && status === 'pending_review' && <Button type="primary" loading={busy === 'approve'} onClick={() => void run('approve')} data-testid="template-approve">{t('templates.approve')}</Button>}
        {canReview && status === 'pending_review' && <Button danger onClick={() => setRejecting(true)} data-testid="template-reject">{t('templates.reject')}</Button>}
      </Space>
      <Typography.Title level={5}>{t('templates.versions')}</Typography.Title>
      {versions.data === null ? <Typography.Text type="secondary">{t('templates.noVersions')}</Typography.Text> : (
        <Table<TemplateVersion>
          rowKey="version" size="small" pagination={{ pageSize: 5, hideOnSinglePage: true }} loading={versions.loading} dataSource={versions.data ?? []} data-testid="template-versions"
          columns={[
            { title: t('templates.versionCol'), dataIndex: 'version', render: (v: number) => `v${v}` },
            { title: t('templates.statusCol'), dataIndex: 'status', render: (s: string | undefined) => (s ? <ReviewTag status={reviewStatusOf({ status: s as Template['status'] })} /> : '—') },
            { title: t('templates.byCol'), dataIndex: 'createdBy', render: (v: string | null | undefined) => v ?? '—' },
            { title: t('templates.atCol'), dataIndex: 'createdAt', render: (v: string | undefined) => formatTime(v, lang) },
            { title: t('templates.reviewNote'), dataIndex: 'reviewNote', render: (v: string | null | undefined) => v ?? '' },
          ]}
        />
      )}
      <RejectReasonModal
        open={rejecting} title={t('templates.rejectTitle')} okText={t('templates.reject')} loading={busy === 'reject'} testId="template-reject-reason"
        onCancel={() => setRejecting(false)} onReject={(reason) => run('reject', { reason })}
      />
    </Card>
  );
}
