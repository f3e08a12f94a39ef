import { GiftOutlined } from '@ant-design/icons';
import { Navigate, Route } from 'react-router-dom';
import type { Translate } from '../i18n/i18n-context.ts';
import { AlertsPage } from './AlertsPage.tsx';
import { BudgetsPage } from './BudgetsPage.tsx';
import { CouponTemplateDetailPage } from './CouponTemplateDetailPage.tsx';
import { CouponTemplatesPage } from './CouponTemplatesPage.tsx';
import { H5Page } from './H5Page.tsx';
import { LotteriesPage } from './LotteriesPage.tsx';
import { LotteryDetailPage } from './LotteryDetailPage.tsx';
import { PointsPage } from './PointsPage.tsx';
import { ReferralsPage } from './ReferralsPage.tsx';

/** The rewards section's routes, mounted inside the signed-in layout by App.tsx. */
export const rewardsRoutes = (
  <>
    <Route path="rewards" element={<Navigate to="/rewards/coupons" replace />} />
    <Route path="rewards/coupons" element={<CouponTemplatesPage />} />
    <Route path="rewards/coupons/:id" element={<CouponTemplateDetailPage />} />
    <Route path="rewards/lotteries" element={<LotteriesPage />} />
    <Route path="rewards/lotteries/:id" element={<LotteryDetailPage />} />
    <Route path="rewards/points" element={<PointsPage />} />
    <Route path="rewards/referrals" element={<ReferralsPage />} />
    <Route path="rewards/budgets" element={<BudgetsPage />} />
    <Route path="rewards/alerts" element={<AlertsPage />} />
    <Route path="rewards/h5" element={<H5Page />} />
  </>
);

/** Its side-menu entries (AppLayout): one group with a page each. */
export function rewardsMenuItems(t: Translate) {
  return [{
    key: '/rewards', icon: <GiftOutlined />, label: t('menu.rewards'),
    children: [
      { key: '/rewards/coupons', label: t('rewards.menu.coupons') },
      { key: '/rewards/lotteries', label: t('rewards.menu.lotteries') },
      { key: '/rewards/points', label: t('rewards.menu.points') },
      { key: '/rewards/referrals', label: t('rewards.menu.referrals') },
      { key: '/rewards/budgets', label: t('rewards.menu.budgets') },
      { key: '/rewards/alerts', label: t('rewards.menu.alerts') },
      { key: '/rewards/h5', label: t('rewards.menu.h5') },
    ],
  }];
}
