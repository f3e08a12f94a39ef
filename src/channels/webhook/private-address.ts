import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// Loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, unspecified, ULA.
const blocked = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) blocked.addSubnet(net, bits, 'ipv6');

const isBlocked = (ip: string): boolean => {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (v4mapped) return blocked.check(v4mapped, 'ipv4');
  return blocked.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
};

/**
 * True when the URL's host is or resolves to an internal address. Webhook URLs come from
 * templates, which editors write: without this check a template could make the server call its
 * own network (SSRF). A host that does not resolve counts as not private (the send fails anyway).
 */
export async function isPrivateUrl(url: string): Promise<boolean> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isBlocked(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  try {
    return (await lookup(host, { all: true })).some((a) => isBlocked(a.address));
  } catch {
    return false;
  }
}
