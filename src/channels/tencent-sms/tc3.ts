import { createHash, createHmac } from 'node:crypto';

/**
 * Tencent Cloud API 3.0 request signing, TC3-HMAC-SHA256, step by step as the vendor documents
 * it ("签名方法 v3"): CanonicalRequest → StringToSign → derived key (date → service →
 * tc3_request) → Signature → Authorization. Each step is exported so the test can check it
 * against the published worked example.
 */
export interface Tc3Input {
  secretId: string;
  secretKey: string;
  service: string;
  host: string;
  /** Unix seconds; the credential date is its UTC date. */
  timestamp: number;
  payload: string;
  contentType?: string;
}

const sha256hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

export const utcDate = (timestamp: number): string => new Date(timestamp * 1000).toISOString().slice(0, 10);

/** POST, URI `/`, empty query, headers content-type and host (lowercase, sorted), hashed payload. */
export function canonicalRequest(i: Pick<Tc3Input, 'host' | 'payload' | 'contentType'>): string {
  const ct = i.contentType ?? 'application/json; charset=utf-8';
  return ['POST', '/', '', `content-type:${ct}\nhost:${i.host}\n`, 'content-type;host', sha256hex(i.payload)].join('\n');
}

export function stringToSign(i: Pick<Tc3Input, 'service' | 'timestamp'>, canonical: string): string {
  return ['TC3-HMAC-SHA256', String(i.timestamp), `${utcDate(i.timestamp)}/${i.service}/tc3_request`, sha256hex(canonical)].join('\n');
}

export function signature(i: Pick<Tc3Input, 'secretKey' | 'service' | 'timestamp'>, toSign: string): string {
  const secretDate = hmac(`TC3${i.secretKey}`, utcDate(i.timestamp));
  const secretService = hmac(secretDate, i.service);
  const secretSigning = hmac(secretService, 'tc3_request');
  return createHmac('sha256', secretSigning).update(toSign, 'utf8').digest('hex');
}

export function authorization(i: Tc3Input): string {
  const sig = signature(i, stringToSign(i, canonicalRequest(i)));
  return `TC3-HMAC-SHA256 Credential=${i.secretId}/${utcDate(i.timestamp)}/${i.service}/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`;
}

/** The headers of one signed API 3.0 call. */
export function signedHeaders(i: Tc3Input & { action: string; version: string; region?: string }): Record<string, string> {
  return {
    authorization: authorization(i),
    'content-type': i.contentType ?? 'application/json; charset=utf-8',
    host: i.host,
    'x-tc-action': i.action,
    'x-tc-timestamp': String(i.timestamp),
    'x-tc-version': i.version,
    ...(i.region ? { 'x-tc-region': i.region } : {}),
  };
}
