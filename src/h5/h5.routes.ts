import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Platform } from '../platform/context.ts';

/** Public H5 reward pages and their signed user tokens. */
export const h5Routes: FastifyPluginAsyncZod<{ p: Platform }> = async (_app, { p: _p }) => {};
