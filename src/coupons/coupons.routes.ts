import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Platform } from '../platform/context.ts';

/** Coupon templates, grants, redemption, budgets (API.md "Coupons"). */
export const couponsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (_app, { p: _p }) => {};
