import { Tag } from 'antd';
import type { ReviewStatus, Template } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';

const colors: Record<ReviewStatus, string> = { draft: 'default', pending_review: 'gold', approved: 'green', rejected: 'red' };

/** The review state of a template (contracts: `status`; an older server's `reviewState`). */
export function reviewStatusOf(tpl: Pick<Template, 'status' | 'reviewState'>): ReviewStatus {
  const s = tpl.status ?? tpl.reviewState ?? 'draft';
  return s in colors ? (s as ReviewStatus) : 'draft';
}

/** A template's review state as a coloured tag. */
export function ReviewTag({ status, testId = 'review-status' }: { status: ReviewStatus; testId?: string }) {
  const { t } = useI18n();
  return <Tag color={colors[status]} data-testid={testId} data-status={status}>{t(`review.${status}`)}</Tag>;
}
