import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Platform } from '../platform/context.ts';

/** Loss-monitor alerts and kill switches. */
export const alertsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (_app, { p: _p }) => {};
