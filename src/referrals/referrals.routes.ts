import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Platform } from '../platform/context.ts';

/** Referral codes, invitation tree, top inviters. */
export const referralsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (_app, { p: _p }) => {};
