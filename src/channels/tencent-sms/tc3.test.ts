import { describe, expect, it } from 'vitest';
import { authorization, canonicalRequest, signature, stringToSign } from './tc3.ts';

// The worked example of Tencent Cloud's "签名方法 v3" page (cvm DescribeInstances, ap-guangzhou,
// 2019-02-25): the published inputs, including the masked secret exactly as printed, and the
// published intermediate values. The payload carries the literal `\u672a…` escapes.
const example = {
  secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******',
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3*******',
  service: 'cvm',
  host: 'cvm.tencentcloudapi.com',
  timestamp: 1551113065,
  payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
};

describe('TC3-HMAC-SHA256 against the vendor worked example', () => {
  it('CanonicalRequest', () => {
    expect(canonicalRequest(example)).toBe(
      'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
    );
  });
  it('StringToSign', () => {
    expect(stringToSign(example, canonicalRequest(example))).toBe(
      'TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031',
    );
  });
  it('Signature and Authorization', () => {
    expect(signature(example, stringToSign(example, canonicalRequest(example)))).toBe('2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c');
    expect(authorization(example)).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c',
    );
  });
});
