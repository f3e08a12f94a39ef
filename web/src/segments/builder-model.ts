/**
 * The condition builder's state and its translation to the definition language of API.md
 * ("The definition language"): a tree of groups (all / any, each optionally negated) whose
 * leaves are attribute conditions, behaviour conditions, sequences and segment references.
 * `toDefinition` writes the JSON the API takes and remembers which JSON path belongs to which
 * node, so a 400's `details[].path` lands on the field that caused it; `fromDefinition` reads a
 * definition back (the JSON view and "edit" of a saved segment) when the builder can show it.
 */

export const valueTypes = ['string', 'number', 'boolean', 'date'] as const;
export type ValueType = (typeof valueTypes)[number];

export const attrOps = ['eq', 'neq', 'in', 'notIn', 'contains', 'startsWith', 'gt', 'gte', 'lt', 'lte', 'between', 'before', 'after', 'on', 'withinLastDays', 'exists', 'notExists'] as const;
export type AttrOp = (typeof attrOps)[number];

/** Operators of each type, as API.md lists them (no `gt` for strings, dates compare days). */
export const opsByType: Record<ValueType, readonly AttrOp[]> = {
  string: ['eq', 'neq', 'in', 'notIn', 'contains', 'startsWith', 'exists', 'notExists'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'exists', 'notExists'],
  boolean: ['eq', 'exists', 'notExists'],
  date: ['before', 'after', 'on', 'between', 'withinLastDays', 'exists', 'notExists'],
};

export const countOps = ['gte', 'gt', 'eq', 'neq', 'lte', 'lt'] as const;
export type CountOp = (typeof countOps)[number];
export const aggregateOps = ['gte', 'gt', 'eq', 'neq', 'lte', 'lt', 'between'] as const;
export type AggregateOp = (typeof aggregateOps)[number];
export const timeOps = ['before', 'after', 'on', 'between', 'withinLastDays'] as const;
export type TimeOp = (typeof timeOps)[number];

/** What a behaviour row asks: did / did not / how often / how much / when. */
export const eventModes = ['did', 'didNot', 'count', 'sum', 'avg', 'min', 'max', 'first', 'last'] as const;
export type EventMode = (typeof eventModes)[number];
export type Combinator = 'all' | 'any';

/** A date as the operator enters it: N days ago (`T-N`, negative = ahead) or a calendar date / instant. */
export interface DateValue {
  mode: 'relative' | 'date';
  days: number | null;
  date: string;
}
export const emptyDate = (): DateValue => ({ mode: 'relative', days: 7, date: '' });

/** The value part of a typed condition (attribute, `where` property, first/last time). */
export interface CondValue {
  op: AttrOp;
  /** Used when the catalog does not know the type (a new attribute or property). */
  type: ValueType;
  value: string;
  value2: string;
  list: string[];
  date: DateValue;
  date2: DateValue;
  /** `withinLastDays N`. */
  days: number | null;
}

export interface WhereRow extends CondValue {
  key: string;
  prop: string;
}

export type WindowKind = 'all' | 'lastDays' | 'relative' | 'absolute';
export interface WindowValue {
  kind: WindowKind;
  lastDays: number | null;
  /** `from: T-fromDays` … `to: T-toDays`, calendar days inclusive. */
  fromDays: number | null;
  toDays: number | null;
  since: string;
  until: string;
}

interface NodeBase {
  key: string;
  /** Wraps the node in `{"not": …}`: the complement over all users of the workspace. */
  negate: boolean;
}

export interface AttrRow extends NodeBase, CondValue {
  kind: 'attr';
  attr: string;
}

export interface EventRow extends NodeBase {
  kind: 'event';
  event: string;
  where: WhereRow[];
  mode: EventMode;
  countOp: CountOp;
  countValue: number | null;
  aggProp: string;
  aggOp: AggregateOp;
  aggValue: number | null;
  aggValue2: number | null;
  time: CondValue;
  window: WindowValue;
}

export interface SequenceStepRow {
  key: string;
  event: string;
  where: WhereRow[];
}

export interface SequenceRow extends NodeBase {
  kind: 'sequence';
  steps: SequenceStepRow[];
  window: WindowValue;
  maxGapHours: number | null;
}

export interface SegmentRefRow extends NodeBase {
  kind: 'segment';
  segment: string;
}

export interface GroupNode extends NodeBase {
  kind: 'group';
  combinator: Combinator;
  children: BuilderNode[];
}

export type BuilderNode = AttrRow | EventRow | SequenceRow | SegmentRefRow | GroupNode;
export type LeafNode = Exclude<BuilderNode, GroupNode>;
/** The root of the builder is a group. */
export type BuilderState = GroupNode;

type Scalar = string | number | boolean;
export type Definition = Record<string, unknown>;

let nextKey = 0;
export const newKey = () => `n${++nextKey}`;

const emptyValue = (type: ValueType = 'string'): CondValue => ({ op: type === 'date' ? 'before' : 'eq', type, value: '', value2: '', list: [], date: emptyDate(), date2: emptyDate(), days: 7 });
export const newWindow = (kind: WindowKind = 'lastDays', lastDays: number | null = 30): WindowValue => ({ kind, lastDays, fromDays: 7, toDays: 1, since: '', until: '' });
export const newWhereRow = (): WhereRow => ({ key: newKey(), prop: '', ...emptyValue() });
export const newAttrRow = (): AttrRow => ({ key: newKey(), kind: 'attr', negate: false, attr: '', ...emptyValue() });
export const newEventRow = (): EventRow => ({
  key: newKey(), kind: 'event', negate: false, event: '', where: [], mode: 'did', countOp: 'gte', countValue: 1,
  aggProp: '', aggOp: 'gte', aggValue: null, aggValue2: null, time: { ...emptyValue('date'), op: 'before' }, window: newWindow(),
});
export const newStep = (): SequenceStepRow => ({ key: newKey(), event: '', where: [] });
export const newSequenceRow = (): SequenceRow => ({ key: newKey(), kind: 'sequence', negate: false, steps: [newStep(), newStep()], window: newWindow('lastDays', 7), maxGapHours: 24 });
export const newSegmentRow = (): SegmentRefRow => ({ key: newKey(), kind: 'segment', negate: false, segment: '' });
export const newGroup = (combinator: Combinator = 'all', children: BuilderNode[] = []): GroupNode => ({ key: newKey(), kind: 'group', negate: false, combinator, children });

/** The operators offered for a type; an op left over from another type falls back to the first. */
export function opFor(type: ValueType, op: AttrOp): AttrOp {
  return opsByType[type].includes(op) ? op : opsByType[type][0] as AttrOp;
}

// ---------------------------------------------------------------- writing the definition

/** A field of a node that is not filled in well enough to send; `reason` is an i18n key suffix. */
export interface Problem {
  node: string;
  /** The API's path below the node (`value`, `where[0].prop`, `window.lastDays`). */
  field: string;
  reason: 'required' | 'number' | 'boolean' | 'list' | 'date' | 'integer';
}

interface Writer {
  problems: Problem[];
  /** JSON path of a node (and of its inner node under `not`) → the node's key. */
  paths: Map<string, string>;
}

/** N days ago as the language writes it: `T-3`; today is `T+0` (as API.md spells it), ahead is `T+N`. */
export const relativeDay = (days: number) => (days > 0 ? `T-${days}` : `T+${Math.abs(days)}`);

function dateOf(d: DateValue): string | undefined {
  if (d.mode === 'relative') return d.days === null || !Number.isInteger(d.days) ? undefined : relativeDay(d.days);
  return d.date.trim() || undefined;
}

function scalarOf(raw: string, type: ValueType): Scalar | undefined {
  const s = raw.trim();
  if (s === '') return undefined;
  if (type === 'number') {
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  }
  if (type === 'boolean') return s === 'true' ? true : s === 'false' ? false : undefined;
  return s;
}

const reasonOf = (type: ValueType): Problem['reason'] => (type === 'number' ? 'number' : type === 'boolean' ? 'boolean' : type === 'date' ? 'date' : 'required');

/** The `value` of a typed condition, or a problem at `at` (e.g. `value`, `where[1].value`). */
function valueOf(c: CondValue, type: ValueType, node: string, at: string, w: Writer): { ok: boolean; value?: unknown } {
  const fail = (reason: Problem['reason'], field = at) => {
    w.problems.push({ node, field, reason });
    return { ok: false };
  };
  if (c.op === 'exists' || c.op === 'notExists') return { ok: true };
  if (c.op === 'withinLastDays') return c.days === null || !Number.isInteger(c.days) || c.days < 0 ? fail('integer') : { ok: true, value: c.days };
  if (c.op === 'in' || c.op === 'notIn') {
    const parts = c.list.map((p) => p.trim()).filter((p) => p !== '');
    if (parts.length === 0) return fail('list');
    const values = parts.map((p) => scalarOf(p, type));
    const bad = values.findIndex((v) => v === undefined);
    return bad >= 0 ? fail(reasonOf(type), `${at}[${bad}]`) : { ok: true, value: values };
  }
  if (type === 'date') {
    const a = dateOf(c.date);
    if (a === undefined) return fail('date', c.op === 'between' ? `${at}[0]` : at);
    if (c.op !== 'between') return { ok: true, value: a };
    const b = dateOf(c.date2);
    return b === undefined ? fail('date', `${at}[1]`) : { ok: true, value: [a, b] };
  }
  const a = scalarOf(c.value, type);
  if (a === undefined) return fail(reasonOf(type), c.op === 'between' ? `${at}[0]` : at);
  if (c.op !== 'between') return { ok: true, value: a };
  const b = scalarOf(c.value2, type);
  return b === undefined ? fail(reasonOf(type), `${at}[1]`) : { ok: true, value: [a, b] };
}

/** Types the builder knows for attributes and event properties (from the catalog). */
export interface TypeLookup {
  attr: (name: string) => ValueType | undefined;
  prop: (event: string, prop: string) => ValueType | undefined;
}
const noTypes: TypeLookup = { attr: () => undefined, prop: () => undefined };

/** The type a condition is read with: the catalog's, else what the operator chose. */
export const typeOfAttr = (row: AttrRow, types: TypeLookup): ValueType => types.attr(row.attr.trim()) ?? row.type;
export const typeOfProp = (event: string, row: WhereRow, types: TypeLookup): ValueType => types.prop(event.trim(), row.prop.trim()) ?? row.type;

function whereOf(event: string, rows: WhereRow[], node: string, prefix: string, w: Writer, types: TypeLookup): unknown[] {
  return rows.map((r, i) => {
    const at = `${prefix}where[${i}]`;
    const prop = r.prop.trim();
    if (!prop) w.problems.push({ node, field: `${at}.prop`, reason: 'required' });
    const type = typeOfProp(event, r, types);
    const op = opFor(type, r.op);
    const v = valueOf({ ...r, op }, type, node, `${at}.value`, w);
    return v.value === undefined ? { prop, op } : { prop, op, value: v.value };
  });
}

function windowOf(win: WindowValue, node: string, w: Writer): Record<string, unknown> | undefined {
  const need = (v: number | null, field: string, min: number) => {
    if (v === null || !Number.isInteger(v) || v < min) w.problems.push({ node, field, reason: 'integer' });
    return v;
  };
  switch (win.kind) {
    case 'all': return undefined;
    case 'lastDays': return { lastDays: need(win.lastDays, 'window.lastDays', 1) };
    case 'relative': {
      const from = need(win.fromDays, 'window.from', -100000);
      const to = need(win.toDays, 'window.to', -100000);
      return { from: relativeDay(from ?? 0), to: relativeDay(to ?? 0) };
    }
    case 'absolute': {
      if (!win.since) w.problems.push({ node, field: 'window.since', reason: 'date' });
      return win.until ? { since: win.since, until: win.until } : { since: win.since };
    }
  }
}

function eventDef(row: EventRow, w: Writer, types: TypeLookup): Definition {
  const event = row.event.trim();
  if (!event) w.problems.push({ node: row.key, field: 'event', reason: 'required' });
  const out: Definition = { event };
  if (row.where.length > 0) out.where = whereOf(event, row.where, row.key, '', w, types);
  const window = windowOf(row.window, row.key, w);
  if (window) out.window = window;
  switch (row.mode) {
    case 'did': break;
    case 'didNot': out.count = { op: 'eq', value: 0 }; break;
    case 'count':
      if (row.countValue === null || !Number.isInteger(row.countValue) || row.countValue < 0) w.problems.push({ node: row.key, field: 'count.value', reason: 'integer' });
      out.count = { op: row.countOp, value: row.countValue };
      break;
    case 'sum': case 'avg': case 'min': case 'max': {
      const prop = row.aggProp.trim();
      if (!prop) w.problems.push({ node: row.key, field: `${row.mode}.prop`, reason: 'required' });
      if (row.aggValue === null) w.problems.push({ node: row.key, field: `${row.mode}.value`, reason: 'number' });
      if (row.aggOp === 'between' && row.aggValue2 === null) w.problems.push({ node: row.key, field: `${row.mode}.value[1]`, reason: 'number' });
      out[row.mode] = { prop, op: row.aggOp, value: row.aggOp === 'between' ? [row.aggValue, row.aggValue2] : row.aggValue };
      break;
    }
    case 'first': case 'last': {
      const op: TimeOp = (timeOps as readonly string[]).includes(row.time.op) ? row.time.op as TimeOp : 'before';
      const v = valueOf({ ...row.time, op }, 'date', row.key, `${row.mode}.value`, w);
      out[row.mode] = { op, value: v.value };
      break;
    }
  }
  return out;
}

function nodeDef(node: BuilderNode, path: string, w: Writer, types: TypeLookup): Definition {
  w.paths.set(path, node.key);
  const inner = node.negate ? `${path}.not` : path;
  w.paths.set(inner, node.key);
  let def: Definition;
  switch (node.kind) {
    case 'group':
      if (node.children.length === 0) w.problems.push({ node: node.key, field: node.combinator, reason: 'list' });
      def = { [node.combinator]: node.children.map((c, i) => nodeDef(c, `${inner}.${node.combinator}[${i}]`, w, types)) };
      break;
    case 'attr': {
      const attr = node.attr.trim();
      if (!attr) w.problems.push({ node: node.key, field: 'attr', reason: 'required' });
      const type = typeOfAttr(node, types);
      const op = opFor(type, node.op);
      const v = valueOf({ ...node, op }, type, node.key, 'value', w);
      def = v.value === undefined ? { attr, op } : { attr, op, value: v.value };
      break;
    }
    case 'event':
      def = eventDef(node, w, types);
      break;
    case 'sequence': {
      const steps = node.steps.map((s, i) => {
        const event = s.event.trim();
        if (!event) w.problems.push({ node: node.key, field: `sequence[${i}].event`, reason: 'required' });
        return s.where.length > 0 ? { event, where: whereOf(event, s.where, node.key, `sequence[${i}].`, w, types) } : { event };
      });
      if (steps.length === 0) w.problems.push({ node: node.key, field: 'sequence', reason: 'list' });
      def = { sequence: steps };
      const window = windowOf(node.window, node.key, w);
      if (window) def.window = window;
      if (node.maxGapHours !== null) {
        if (!(node.maxGapHours > 0)) w.problems.push({ node: node.key, field: 'maxGapHours', reason: 'number' });
        def.maxGapHours = node.maxGapHours;
      }
      break;
    }
    case 'segment':
      if (!node.segment) w.problems.push({ node: node.key, field: 'segment', reason: 'required' });
      def = { segment: node.segment };
      break;
  }
  return node.negate ? { not: def } : def;
}

export interface Written {
  definition: Definition | null;
  /** The definition as far as it is filled in (for the JSON view), problems or not. */
  raw: Definition;
  problems: Problem[];
  paths: Map<string, string>;
}

/** The definition (null while something is missing), the problems, and where each node sits in the JSON. */
export function toDefinition(state: BuilderState, types: TypeLookup = noTypes): Written {
  const w: Writer = { problems: [], paths: new Map() };
  const definition = nodeDef(state, 'definition', w, types);
  return { definition: w.problems.length > 0 ? null : definition, raw: definition, problems: w.problems, paths: w.paths };
}

// ---------------------------------------------------------------- errors on nodes

/** Messages per node key, then per field path below the node (`op`, `where[0].value`, `` = the node). */
export type NodeErrors = Record<string, Record<string, string[]>>;

export function addNodeError(errors: NodeErrors, node: string, field: string, message: string): NodeErrors {
  const n = errors[node] ?? {};
  return { ...errors, [node]: { ...n, [field]: [...(n[field] ?? []), message] } };
}

/** `['definition','all',2,'op']` → `definition.all[2].op`. */
export function joinPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** An API detail path → the node it is about and the field below it (longest known prefix wins). */
export function locate(path: (string | number)[], paths: Map<string, string>): { node: string; field: string } | null {
  for (let n = path.length; n > 0; n--) {
    const prefix = joinPath(path.slice(0, n));
    const node = paths.get(prefix);
    if (!node) continue;
    let rest = joinPath(['', ...path.slice(n)]);
    if (rest.startsWith('.')) rest = rest.slice(1);
    if (rest.startsWith('not.') || rest === 'not') rest = rest.slice(4);
    return { node, field: rest };
  }
  return null;
}

/** Messages of `fields` whose path starts with `prefix` (`value` also takes `value[1]`). */
export function errorsAt(fields: Record<string, string[]> | undefined, prefix: string): string[] {
  if (!fields) return [];
  return Object.entries(fields).filter(([f]) => f === prefix || f.startsWith(`${prefix}[`) || f.startsWith(`${prefix}.`)).flatMap(([, m]) => m);
}

// ---------------------------------------------------------------- reading a definition back

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const relRe = /^T([+-])(\d{1,5})$/;

function readDate(v: unknown): DateValue | null {
  if (typeof v !== 'string') return null;
  const m = relRe.exec(v);
  if (m) return { mode: 'relative', days: (m[1] === '-' ? 1 : -1) * Number(m[2]), date: '' };
  return { mode: 'date', days: 7, date: v };
}

function guessType(v: unknown): ValueType {
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first === 'number') return 'number';
  if (typeof first === 'boolean') return 'boolean';
  return 'string';
}

function readValue(op: string, value: unknown, type: ValueType): CondValue | null {
  if (!(attrOps as readonly string[]).includes(op)) return null;
  const c: CondValue = { ...emptyValue(type), op: op as AttrOp };
  if (op === 'exists' || op === 'notExists') return c;
  if (op === 'withinLastDays') return typeof value === 'number' ? { ...c, type: 'date', days: value } : null;
  if (op === 'before' || op === 'after' || op === 'on') {
    const d = readDate(value);
    return d ? { ...c, type: 'date', date: d } : null;
  }
  if (op === 'between') {
    if (!Array.isArray(value) || value.length !== 2) return null;
    if (typeof value[0] === 'number') return { ...c, type: 'number', value: String(value[0]), value2: String(value[1]) };
    const a = readDate(value[0]);
    const b = readDate(value[1]);
    return a && b ? { ...c, type: 'date', date: a, date2: b } : null;
  }
  if (op === 'in' || op === 'notIn') return Array.isArray(value) ? { ...c, type: guessType(value), list: value.map(String) } : null;
  if (value === undefined || isObj(value) || Array.isArray(value)) return null;
  return { ...c, type: op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte' ? 'number' : guessType(value), value: String(value) };
}

function readWhere(list: unknown): WhereRow[] | null {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return null;
  const rows: WhereRow[] = [];
  for (const item of list) {
    if (!isObj(item) || typeof item.prop !== 'string' || typeof item.op !== 'string') return null;
    const v = readValue(item.op, item.value, 'string');
    if (!v) return null;
    rows.push({ key: newKey(), prop: item.prop, ...v });
  }
  return rows;
}

function readWindow(w: unknown): WindowValue | null {
  if (w === undefined) return newWindow('all', null);
  if (!isObj(w)) return null;
  if (typeof w.lastDays === 'number') return newWindow('lastDays', w.lastDays);
  if (typeof w.from === 'string' && typeof w.to === 'string') {
    const a = relRe.exec(w.from);
    const b = relRe.exec(w.to);
    if (!a || !b) return null;
    return { ...newWindow('relative'), fromDays: (a[1] === '-' ? 1 : -1) * Number(a[2]), toDays: (b[1] === '-' ? 1 : -1) * Number(b[2]) };
  }
  if (typeof w.since === 'string') return { ...newWindow('absolute'), since: w.since, until: typeof w.until === 'string' ? w.until : '' };
  return null;
}

function readNode(d: unknown, negate = false): BuilderNode | null {
  if (!isObj(d)) return null;
  if ('not' in d && Object.keys(d).length === 1) {
    if (negate) {
      // not(not X): a negated group around the negated X keeps the meaning.
      const inner = readNode(d.not, true);
      return inner ? { ...newGroup('all', [inner]), negate: true } : null;
    }
    return readNode(d.not, true);
  }
  const base = { key: newKey(), negate };
  for (const comb of ['all', 'any'] as const) {
    if (comb in d) {
      const list = d[comb];
      if (!Array.isArray(list) || Object.keys(d).length !== 1) return null;
      const children = list.map((c) => readNode(c));
      if (children.some((c) => c === null)) return null;
      return { ...base, kind: 'group', combinator: comb, children: children as BuilderNode[] };
    }
  }
  if (typeof d.attr === 'string' && typeof d.op === 'string') {
    const v = readValue(d.op, d.value, 'string');
    return v ? { ...base, kind: 'attr', attr: d.attr, ...v } : null;
  }
  if (typeof d.segment === 'string') return { ...base, kind: 'segment', segment: d.segment };
  if (Array.isArray(d.sequence)) {
    const steps: SequenceStepRow[] = [];
    for (const s of d.sequence) {
      if (!isObj(s) || typeof s.event !== 'string') return null;
      const where = readWhere(s.where);
      if (!where) return null;
      steps.push({ key: newKey(), event: s.event, where });
    }
    const window = readWindow(d.window);
    if (!window) return null;
    return { ...base, kind: 'sequence', steps, window, maxGapHours: typeof d.maxGapHours === 'number' ? d.maxGapHours : null };
  }
  if (typeof d.event === 'string') {
    const where = readWhere(d.where);
    const window = readWindow(d.window);
    if (!where || !window) return null;
    const row: EventRow = { ...newEventRow(), ...base, event: d.event, where, window };
    const count = d.count;
    if (isObj(count)) {
      if (count.op === 'eq' && count.value === 0) row.mode = 'didNot';
      else if (count.op === 'gte' && count.value === 1) row.mode = 'did';
      else {
        row.mode = 'count';
        row.countOp = count.op as CountOp;
        row.countValue = typeof count.value === 'number' ? count.value : null;
      }
    }
    for (const m of ['sum', 'avg', 'min', 'max'] as const) {
      const a = d[m];
      if (!isObj(a)) continue;
      row.mode = m;
      row.aggProp = String(a.prop ?? '');
      row.aggOp = a.op as AggregateOp;
      if (Array.isArray(a.value)) [row.aggValue, row.aggValue2] = a.value as [number, number];
      else row.aggValue = typeof a.value === 'number' ? a.value : null;
    }
    for (const m of ['first', 'last'] as const) {
      const a = d[m];
      if (!isObj(a)) continue;
      const v = readValue(String(a.op), a.value, 'date');
      if (!v) return null;
      row.mode = m;
      row.time = v;
    }
    return row;
  }
  return null;
}

/** The builder tree of a definition, or null when the builder cannot show it (SQL, lookalike, unknown shapes). */
export function fromDefinition(d: unknown): BuilderState | null {
  const node = readNode(d);
  if (!node) return null;
  return node.kind === 'group' ? node : newGroup('all', [node]);
}

/** The node with `key` replaced by `next` (or removed when `next` is null). */
export function replaceNode(root: GroupNode, key: string, next: BuilderNode | null): GroupNode {
  const walk = (g: GroupNode): GroupNode => ({
    ...g,
    children: g.children.flatMap((c) => (c.key === key ? (next ? [next] : []) : [c.kind === 'group' ? walk(c) : c])),
  });
  if (root.key === key) return next && next.kind === 'group' ? next : root;
  return walk(root);
}
