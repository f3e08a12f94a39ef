/** The channels of API.md; its own module so schemas of other domains can name them cheaply. */
export const channels = ['sms', 'push', 'inbox', 'email', 'wechat', 'webhook'] as const;
export type Channel = (typeof channels)[number];
