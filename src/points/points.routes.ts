import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Platform } from '../platform/context.ts';

/** Points: credit, debit, balance, history, exchange. */
export const pointsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (_app, { p: _p }) => {};
