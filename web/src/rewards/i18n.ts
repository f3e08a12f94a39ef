/**
 * Strings of the rewards pages (coupons, lotteries, points, referrals, alerts), merged into
 * the console's dictionaries (i18n/en-US.ts, i18n/zh-CN.ts) so `t()` knows them.
 */
export const rewardsEnUS = {
  'menu.rewards': 'Rewards',
} satisfies Record<string, string>;

export const rewardsZhCN: Record<keyof typeof rewardsEnUS, string> = {
  'menu.rewards': '权益',
};
