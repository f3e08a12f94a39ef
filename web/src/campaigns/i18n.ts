/**
 * New strings of the reach pages, merged into the console's dictionaries (i18n/en-US.ts,
 * i18n/zh-CN.ts) so `t()` knows them. Existing keys stay where they are.
 */
export const reachEnUS = {
  'reach.i18nReady': '',
} satisfies Record<string, string>;

export const reachZhCN: Record<keyof typeof reachEnUS, string> = {
  'reach.i18nReady': '',
};
