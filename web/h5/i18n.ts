/**
 * The H5 pages' strings. Language: `?lang=zh-CN|en-US`, else the browser's languages (the same
 * list it sends as Accept-Language): any zh-* → zh-CN, otherwise en-US.
 */
export type Lang = 'zh-CN' | 'en-US';

const enUS = {
  'loading': 'Loading…',
  'error.invalid_token': 'This link is not valid. Open it exactly as you received it.',
  'error.link_expired': 'This link has expired.',
  'error.forbidden': 'This link belongs to another page.',
  'error.rate_limited': 'Too many taps. Please wait a minute and try again.',
  'error.out_of_stock': 'Sorry, all coupons have been claimed.',
  'error.user_limit_reached': 'You have already claimed the maximum for this coupon.',
  'error.daily_limit_reached': 'You have reached today\'s limit. Come back tomorrow.',
  'error.outside_claim_window': 'This offer is not open for claiming right now.',
  'error.blacklisted': 'This offer is not available for your account.',
  'error.budget_exhausted': 'This offer has ended (budget used up).',
  'error.not_eligible': 'This offer is not available for your account.',
  'error.killed': 'This activity has been paused.',
  'error.no_chances': 'No chances left.',
  'error.not_running': 'The lottery is not running now.',
  'error.not_found': 'This activity no longer exists.',
  'error.other': 'Something went wrong. Please try again.',
  'coupon.title': 'Your coupon',
  'coupon.threshold': '{value} off orders of {minSpend}',
  'coupon.direct': '{value} off',
  'coupon.percent': '{value}% off',
  'coupon.percentCap': 'up to {maxDiscount}',
  'coupon.noMinimum': 'No minimum spend',
  'coupon.claimWindow': 'Claim by {end}',
  'coupon.validDays': 'Valid for {days} days after claiming',
  'coupon.validRange': 'Valid {from} – {to}',
  'coupon.claim': 'Claim now',
  'coupon.claiming': 'Claiming…',
  'coupon.claimed': 'Claimed! Your code:',
  'coupon.repeated': 'You already claimed it. Your code:',
  'coupon.validTo': 'Valid until {to}',
  'coupon.mine': 'My coupons',
  'coupon.none': 'No coupons yet.',
  'coupon.status.granted': 'Unused',
  'coupon.status.redeemed': 'Used',
  'coupon.status.expired': 'Expired',
  'coupon.status.void': 'Void',
  'lottery.draw': 'DRAW',
  'lottery.drawing': '…',
  'lottery.chances': 'Chances left: {n}',
  'lottery.odds': 'Prizes and odds',
  'lottery.noPrize': 'Thanks',
  'lottery.noPrizeOdds': 'No prize',
  'lottery.won': 'You won: {name}',
  'lottery.lost': 'No prize this time. Good luck next time!',
  'lottery.couponCode': 'Coupon code: {code}',
  'lottery.points': '+{points} points',
  'lottery.mine': 'My prizes',
  'lottery.none': 'No prizes yet.',
  'lottery.period': '{start} – {end}',
  'lottery.points.have': 'Your points: {points}',
  'lottery.exchange': 'Use {cost} points for 1 chance',
  'lottery.exchanged': '+{n} chance(s)',
  'error.insufficient_points': 'Not enough points.',
  'close': 'OK',
} satisfies Record<string, string>;

export type Key = keyof typeof enUS;

const zhCN: Record<Key, string> = {
  'loading': '加载中…',
  'error.invalid_token': '链接无效，请使用收到的原始链接打开。',
  'error.link_expired': '链接已过期。',
  'error.forbidden': '该链接不属于此页面。',
  'error.rate_limited': '操作太频繁，请稍等一分钟再试。',
  'error.out_of_stock': '抱歉，优惠券已被领完。',
  'error.user_limit_reached': '您已达到该券的领取上限。',
  'error.daily_limit_reached': '今日领取次数已用完，明天再来吧。',
  'error.outside_claim_window': '当前不在领取时间内。',
  'error.blacklisted': '您的账号暂不能参与此活动。',
  'error.budget_exhausted': '活动已结束（预算已用完）。',
  'error.not_eligible': '您的账号暂不能参与此活动。',
  'error.killed': '活动已暂停。',
  'error.no_chances': '抽奖次数已用完。',
  'error.not_running': '抽奖活动未在进行中。',
  'error.not_found': '活动不存在或已下线。',
  'error.other': '出错了，请稍后再试。',
  'coupon.title': '专属优惠券',
  'coupon.threshold': '满{minSpend}减{value}',
  'coupon.direct': '立减{value}',
  'coupon.percent': '{discount}折',
  'coupon.percentCap': '最高减{maxDiscount}',
  'coupon.noMinimum': '无门槛',
  'coupon.claimWindow': '{end} 前领取',
  'coupon.validDays': '领取后 {days} 天内有效',
  'coupon.validRange': '有效期 {from} – {to}',
  'coupon.claim': '立即领取',
  'coupon.claiming': '领取中…',
  'coupon.claimed': '领取成功！券码：',
  'coupon.repeated': '您已领取过，券码：',
  'coupon.validTo': '有效期至 {to}',
  'coupon.mine': '我的优惠券',
  'coupon.none': '暂无优惠券。',
  'coupon.status.granted': '未使用',
  'coupon.status.redeemed': '已使用',
  'coupon.status.expired': '已过期',
  'coupon.status.void': '已作废',
  'lottery.draw': '抽奖',
  'lottery.drawing': '…',
  'lottery.chances': '剩余次数：{n}',
  'lottery.odds': '奖品与概率',
  'lottery.noPrize': '谢谢参与',
  'lottery.noPrizeOdds': '未中奖',
  'lottery.won': '恭喜获得：{name}',
  'lottery.lost': '很遗憾，未中奖，下次好运！',
  'lottery.couponCode': '券码：{code}',
  'lottery.points': '+{points} 积分',
  'lottery.mine': '我的奖品',
  'lottery.none': '暂无奖品。',
  'lottery.period': '{start} – {end}',
  'lottery.points.have': '我的积分：{points}',
  'lottery.exchange': '{cost} 积分兑换 1 次抽奖',
  'lottery.exchanged': '已兑换 {n} 次机会',
  'error.insufficient_points': '积分不足。',
  'close': '知道了',
};

export function pickLang(search: string, browser: readonly string[]): Lang {
  const q = new URLSearchParams(search).get('lang');
  if (q === 'zh-CN' || q === 'en-US') return q;
  if (q?.toLowerCase().startsWith('zh')) return 'zh-CN';
  if (q?.toLowerCase().startsWith('en')) return 'en-US';
  const first = browser.find((l) => /^(zh|en)/i.test(l));
  return first?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en-US';
}

export type T = (key: Key, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  const dict = lang === 'zh-CN' ? zhCN : enUS;
  return (key, vars) => (dict[key] ?? key).replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? ''));
}

export const errorKey = (code: string): Key => (`error.${code}` in enUS ? (`error.${code}` as Key) : 'error.other');
