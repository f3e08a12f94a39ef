import { customAlphabet } from 'nanoid';
import { createHash, randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const body = customAlphabet(alphabet, 16);
const codeBody = customAlphabet(alphabet, 10);

/** Public object ids carry a type prefix so a pasted id says what it is (`cmp_…`, `seg_…`). */
export const newId = (prefix: string): string => `${prefix}_${body()}`;

/** Short-link codes: 10 base62 characters = 59 bits, unguessable enough that codes cannot be enumerated. */
export const newLinkCode = (): string => codeBody();

/** A secret shown once (API keys, session tokens, invites); only its hash is stored. */
export const newSecret = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;

/** Secrets are 192-bit random, so a fast hash is enough (no password stretching needed). */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
