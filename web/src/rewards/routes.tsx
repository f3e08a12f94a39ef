import { GiftOutlined } from '@ant-design/icons';
import { Route } from 'react-router-dom';
import type { Translate } from '../i18n/i18n-context.ts';
import { NotFoundPage } from '../layout/NotFoundPage.tsx';

/** The rewards section's routes, mounted inside the signed-in layout by App.tsx. */
export const rewardsRoutes = (
  <>
    <Route path="rewards" element={<NotFoundPage />} />
  </>
);

/** Its side-menu entries (AppLayout). */
export function rewardsMenuItems(t: Translate) {
  return [{ key: '/rewards', icon: <GiftOutlined />, label: t('menu.rewards') }];
}
