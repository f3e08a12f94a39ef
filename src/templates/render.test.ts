import { describe, expect, it } from 'vitest';
import { Liquid } from 'liquidjs';
import { compileContent, smsInfo, smsText } from './render.ts';

describe('SMS rendering and length', () => {
  it('puts the 【signature】 first and renders Liquid over the user', () => {
    const c = compileContent('sms', { signature: 'Shop', body: 'Hi {{ user.name | default: "friend" }}, {{ "https://x.example/a" | track }}' });
    const links: string[] = [];
    const out = c.render({ user: { name: 'Li' } }, (url) => { links.push(url); return 'https://s.example/l/abc'; });
    expect(out.text).toBe('【Shop】Hi Li, https://s.example/l/abc');
    expect(links).toEqual(['https://x.example/a']);
    expect(c.render({ user: {} }).text).toBe('【Shop】Hi friend, https://x.example/a');
    expect(smsText('【Brand】', 'x')).toBe('【Brand】x');
  });

  it('counts segments by the carriers rules: GSM-7 160/153, UCS-2 70/67', () => {
    expect(smsInfo('a'.repeat(160))).toMatchObject({ segments: 1, encoding: 'GSM-7' });
    expect(smsInfo('a'.repeat(161)).segments).toBe(2);
    expect(smsInfo('a'.repeat(306)).segments).toBe(2);
    expect(smsInfo('a'.repeat(307)).segments).toBe(3);
    expect(smsInfo('好'.repeat(70))).toMatchObject({ segments: 1, encoding: 'UCS-2' });
    expect(smsInfo('好'.repeat(71)).segments).toBe(2);
    expect(smsInfo('好'.repeat(134)).segments).toBe(2);
    expect(smsInfo('好'.repeat(135)).segments).toBe(3);
  });

  it('renders text without tags or outputs to itself, as Liquid would', () => {
    const texts = ['Sale 50% {off} } x', '', '  spaced  \n', 'a } } b %} c', '双十一 限时'];
    const liquid = new Liquid();
    for (const t of texts) {
      const out = compileContent('push', { title: t, body: `${t}{{ user.x }}` }).render({ user: { x: '!' } });
      expect(out).toEqual({ title: liquid.parseAndRenderSync(t), body: liquid.parseAndRenderSync(`${t}{{ x }}`, { x: '!' }) });
    }
  });

  it('renders nested objects, arrays and plain values, keeping every key a field', () => {
    const content = JSON.parse('{"templateId":"T1","data":{"__proto__":{"value":"p {{ user.x }}"},"first":{"value":"{{ user.x }}!","color":"#f00"}},"n":3,"list":[1,"{{ user.x }}",null,true]}');
    const out = compileContent('wechat', content).render({ user: { x: 'Li' } });
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"templateId":"T1","data":{"__proto__":{"value":"p Li"},"first":{"value":"Li!","color":"#f00"}},"n":3,"list":[1,"Li",null,true]}'));
    expect(Object.getPrototypeOf((out as { data: object }).data)).toBe(Object.prototype);
  });

  it('rejects a template that does not parse', () => {
    expect(() => compileContent('sms', { signature: 'S', body: 'Hi {{ user.name ' })).toThrow();
    expect(() => compileContent('sms', { signature: 'S', body: '{{ "x" | nosuchfilter }}' })).toThrow();
  });
});
