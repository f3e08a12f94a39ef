/**
 * New strings of the segments pages, merged into the console's dictionaries (i18n/en-US.ts,
 * i18n/zh-CN.ts) so `t()` knows them. Existing keys stay where they are.
 */
export const segmentsEnUS = {
  'segments.i18nReady': '',
} satisfies Record<string, string>;

export const segmentsZhCN: Record<keyof typeof segmentsEnUS, string> = {
  'segments.i18nReady': '',
};
