import type { Platform } from '../platform/context.ts';

export async function seedDemo(_p: Platform, _o: { seed: number; users: number }): Promise<{ slug: string; users: number; events: number; orders: number; apiKey: string; email: string; password: string }> {
  throw new Error('seed-demo is not written yet');
}
