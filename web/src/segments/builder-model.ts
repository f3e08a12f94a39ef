/**
 * The condition builder's state and its translation to the definition language of API.md.
 * The builder covers the common shapes (attribute and behaviour rows joined by all/any);
 * richer definitions (sequences, sums, nested groups) are written through the API.
 */
export const attrOps = ['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte', 'exists'] as const;
export type AttrOp = (typeof attrOps)[number];

export const countOps = ['gte', 'gt', 'eq', 'neq', 'lte', 'lt'] as const;
export type CountOp = (typeof countOps)[number];

export const valueTypes = ['string', 'number', 'boolean'] as const;
export type ValueType = (typeof valueTypes)[number];

export type EventMode = 'did' | 'didNot' | 'count';
export type Combinator = 'all' | 'any';

export interface AttrRow {
  key: string;
  kind: 'attr';
  attr: string;
  op: AttrOp;
  valueType: ValueType;
  value: string;
}

export interface EventRow {
  key: string;
  kind: 'event';
  event: string;
  mode: EventMode;
  countOp: CountOp;
  countValue: number | null;
  lastDays: number | null;
}

export type Row = AttrRow | EventRow;

export interface BuilderState {
  combinator: Combinator;
  rows: Row[];
}

type Scalar = string | number | boolean;

export interface AttrNode {
  attr: string;
  op: AttrOp;
  value?: Scalar | Scalar[];
}

export interface EventNode {
  event: string;
  window?: { lastDays: number };
  count: { op: CountOp; value: number };
}

export type Definition = { all: (AttrNode | EventNode)[] } | { any: (AttrNode | EventNode)[] };

/** Which field of a row a message belongs to. */
export type RowField = 'attr' | 'op' | 'value' | 'event' | 'count' | 'lastDays';

/** A row field that is not filled in well enough to send; `reason` is an i18n key suffix. */
export interface RowProblem {
  row: number;
  field: RowField;
  reason: 'required' | 'number' | 'boolean' | 'list';
}

let nextKey = 0;
const newKey = () => `r${++nextKey}`;

export const newAttrRow = (): AttrRow => ({ key: newKey(), kind: 'attr', attr: '', op: 'eq', valueType: 'string', value: '' });
export const newEventRow = (): EventRow => ({ key: newKey(), kind: 'event', event: '', mode: 'did', countOp: 'gte', countValue: 1, lastDays: 30 });

/** Numeric comparisons only make sense on numbers. */
export const effectiveType = (row: AttrRow): ValueType => (['gt', 'gte', 'lt', 'lte'].includes(row.op) ? 'number' : row.valueType);

function parseScalar(raw: string, type: ValueType): Scalar | undefined {
  const s = raw.trim();
  if (type === 'string') return s === '' ? undefined : s;
  if (type === 'number') {
    const n = Number(s);
    return s === '' || !Number.isFinite(n) ? undefined : n;
  }
  if (s === 'true') return true;
  if (s === 'false') return false;
  return undefined;
}

function attrNode(row: AttrRow, index: number, problems: RowProblem[]): AttrNode | null {
  const attr = row.attr.trim();
  if (!attr) problems.push({ row: index, field: 'attr', reason: 'required' });
  if (row.op === 'exists') return attr ? { attr, op: 'exists' } : null;
  const type = effectiveType(row);
  const reason = type === 'string' ? 'required' : type;
  if (row.op === 'in') {
    const parts = row.value.split(/[,，]/).map((p) => p.trim()).filter((p) => p !== '');
    const values = parts.map((p) => parseScalar(p, type));
    if (parts.length === 0 || values.some((v) => v === undefined)) {
      problems.push({ row: index, field: 'value', reason: parts.length === 0 ? 'list' : reason });
      return null;
    }
    return attr ? { attr, op: 'in', value: values as Scalar[] } : null;
  }
  const value = parseScalar(row.value, type);
  if (value === undefined) {
    problems.push({ row: index, field: 'value', reason });
    return null;
  }
  return attr ? { attr, op: row.op, value } : null;
}

function eventNode(row: EventRow, index: number, problems: RowProblem[]): EventNode | null {
  const event = row.event.trim();
  if (!event) problems.push({ row: index, field: 'event', reason: 'required' });
  const count: EventNode['count'] | null = row.mode === 'did' ? { op: 'gte', value: 1 }
    : row.mode === 'didNot' ? { op: 'eq', value: 0 }
    : row.countValue === null ? null : { op: row.countOp, value: row.countValue };
  if (!count) problems.push({ row: index, field: 'count', reason: 'number' });
  if (!event || !count) return null;
  return row.lastDays ? { event, window: { lastDays: row.lastDays }, count } : { event, count };
}

/** The definition, or the problems that keep it from being sent. */
export function toDefinition(state: BuilderState): { definition: Definition | null; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  const nodes = state.rows.map((row, i) => (row.kind === 'attr' ? attrNode(row, i, problems) : eventNode(row, i, problems)));
  if (state.rows.length === 0 || problems.length > 0) return { definition: null, problems };
  const list = nodes as (AttrNode | EventNode)[];
  return { definition: state.combinator === 'all' ? { all: list } : { any: list }, problems };
}

/** API detail path (`definition.all[2].count.value`) → the row and field it is about. */
export function rowFieldOf(path: (string | number)[]): { row: number; field: RowField } | null {
  const [root, group, index, field, sub] = path;
  if (root !== 'definition' || (group !== 'all' && group !== 'any') || typeof index !== 'number') return null;
  if (field === 'attr' || field === 'op' || field === 'value' || field === 'event') return { row: index, field };
  if (field === 'count') return { row: index, field: 'count' };
  if (field === 'window' && (sub === 'lastDays' || sub === undefined)) return { row: index, field: 'lastDays' };
  return { row: index, field: field === 'where' ? 'event' : 'value' };
}
