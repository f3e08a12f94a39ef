import { describe, expect, it } from 'vitest';
import { maskEmail, maskPhone } from './masking.ts';

describe('export masks', () => {
  it('phones keep the first 3 and last 4 digits', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+8613812345678')).toBe('+86****5678');
    expect(maskPhone('12345')).toBe('****45');
    expect(maskPhone('1')).toBe('****');
  });

  it('emails keep the first character and the domain', () => {
    expect(maskEmail('li@example.com')).toBe('l***@example.com');
    expect(maskEmail('a@b.cn')).toBe('a***@b.cn');
    expect(maskEmail('"x@y"@example.com')).toBe('"***@example.com');
    expect(maskEmail('not-an-email')).toBe('***');
    expect(maskEmail('@example.com')).toBe('***');
  });
});
