/**
 * Masks for exports by roles without the export right: enough to recognise a row, not to
 * contact the person. The mask has a fixed width so it does not reveal the hidden length.
 */
export function maskPhone(phone: string): string {
  if (phone.length >= 8) return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
  return phone.length > 2 ? `****${phone.slice(-2)}` : '****';
}

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
