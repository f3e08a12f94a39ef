import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Platform } from '../platform/context.ts';

/** Lotteries, prizes, pools, chances and draws (API.md "Lotteries"). */
export const lotteriesRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (_app, { p: _p }) => {};
