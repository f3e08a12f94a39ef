import { pathString } from '../platform/errors.ts';
import { builtInAttributeTypes, fromText, inferTypeFromText, type ValueType } from './attribute-types.ts';
import { userInput, type UserInput } from './customers.schema.ts';

/**
 * How a CSV of users reads: the header names `externalId`, optional profile fields and
 * attribute columns; each row becomes the same input POST /v1/users takes. Pure: no I/O.
 */
const profileFields = ['phone', 'email', 'wechatOpenId', 'pushToken', 'platform', 'createdAt'] as const;
type ProfileField = (typeof profileFields)[number];

export type Column = { kind: 'externalId' } | { kind: 'field'; name: ProfileField } | { kind: 'attribute'; name: string };

export type HeaderResult = { ok: true; columns: Column[] } | { ok: false; message: string };

export function readHeader(names: string[]): HeaderResult {
  const seen = new Set<string>();
  const columns: Column[] = [];
  for (const [i, raw] of names.entries()) {
    const name = raw.trim();
    if (!name) return { ok: false, message: `Column ${i + 1} of the header has no name.` };
    if (name.length > 200 || name.includes('\u0000')) return { ok: false, message: `Column ${i + 1}: a name of 1 to 200 characters.` };
    if (seen.has(name)) return { ok: false, message: `Column "${name}" appears twice in the header.` };
    seen.add(name);
    if (name === 'externalId') columns.push({ kind: 'externalId' });
    else if ((profileFields as readonly string[]).includes(name)) columns.push({ kind: 'field', name: name as ProfileField });
    else if (builtInAttributeTypes.has(name)) return { ok: false, message: `Column "${name}" is computed from orders and cannot be imported.` };
    else columns.push({ kind: 'attribute', name });
  }
  if (!seen.has('externalId')) return { ok: false, message: 'The header must name an externalId column (then phone, email and attribute columns as needed).' };
  return { ok: true, columns };
}

export type RowResult = { ok: true; user: UserInput } | { ok: false; message: string };

/**
 * One row to a user. Empty cells are left out (they change nothing). Attribute text is read
 * by the attribute's type: the stored one, else the type the column's first non-empty value
 * suggests — remembered in `types`, so every row of the import reads the column alike.
 */
export function readRow(values: string[], columns: Column[], types: Map<string, ValueType>): RowResult {
  if (values.length !== columns.length) return { ok: false, message: `${values.length} fields; the header has ${columns.length}.` };
  const user: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [i, col] of columns.entries()) {
    const text = values[i]!;
    if (text === '') continue;
    if (col.kind === 'externalId') user.externalId = text;
    else if (col.kind === 'field') user[col.name] = text;
    else {
      let type = types.get(col.name);
      if (!type) types.set(col.name, (type = inferTypeFromText(text)));
      const v = fromText(text, type);
      if (!v.ok) return { ok: false, message: `${col.name}: ${v.message} The attribute is a ${type}.` };
      attributes[col.name] = v.value;
    }
  }
  if (Object.keys(attributes).length > 0) user.attributes = attributes;
  if (user.externalId === undefined) return { ok: false, message: 'externalId: empty.' };
  const parsed = userInput.safeParse(user);
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => `${pathString(i.path)}: ${i.message}`).join('; ') };
  return { ok: true, user: parsed.data };
}
