import { describe, expect, it } from 'vitest';
import {
  fromDefinition, locate, newAttrRow, newEventRow, newGroup, newSequenceRow, toDefinition,
  type AttrRow, type EventRow, type GroupNode, type SequenceRow, type TypeLookup,
} from './builder-model.ts';

/**
 * The builder's translation to and from the definition language (API.md). Part of `npm test`
 * (the root vitest config collects web/src too).
 */
const types: TypeLookup = {
  attr: (n) => ({ city: 'string', age: 'number', vip: 'boolean', birthday: 'date', createdAt: 'date' } as const)[n as 'city'],
  prop: (e, p) => (e === 'order_paid' && p === 'amount' ? 'number' : e === 'order_paid' && p === 'sku' ? 'string' : undefined),
};

const definitions: unknown[] = [
  { all: [{ attr: 'city', op: 'eq', value: 'Guangzhou' }] },
  { any: [{ attr: 'city', op: 'notIn', value: ['A', 'B'] }, { attr: 'age', op: 'between', value: [18, 30] }, { attr: 'vip', op: 'eq', value: true }] },
  { all: [{ attr: 'birthday', op: 'on', value: 'T-3' }, { attr: 'createdAt', op: 'between', value: ['T-10', 'T+0'] }, { attr: 'createdAt', op: 'withinLastDays', value: 5 }, { attr: 'age', op: 'notExists' }] },
  { all: [
    { event: 'order_paid' },
    { event: 'order_paid', window: { lastDays: 7 }, count: { op: 'eq', value: 0 } },
    { event: 'order_paid', where: [{ prop: 'amount', op: 'gte', value: 20000 }, { prop: 'sku', op: 'startsWith', value: 'tea' }], window: { from: 'T-3', to: 'T-1' }, count: { op: 'gt', value: 2 } },
    { event: 'order_paid', window: { since: '2026-01-01T00:00:00+08:00', until: '2026-02-01T00:00:00+08:00' }, sum: { prop: 'amount', op: 'between', value: [100, 500] } },
    { event: 'order_paid', last: { op: 'before', value: 'T-7' } },
    { event: 'page_view', first: { op: 'withinLastDays', value: 3 } },
  ] },
  { all: [
    { event: 'add_to_cart', window: { lastDays: 2 } },
    { not: { sequence: [{ event: 'add_to_cart', where: [{ prop: 'sku', op: 'eq', value: 'tea-01' }] }, { event: 'order_paid' }], window: { lastDays: 2 }, maxGapHours: 24 } },
  ] },
  { all: [{ segment: 'seg_a' }, { not: { any: [{ segment: 'seg_b' }, { not: { all: [{ attr: 'city', op: 'exists' }] } }] } }] },
];

describe('builder model', () => {
  it.each(definitions.map((d) => [JSON.stringify(d).slice(0, 60), d]))('reads and writes back %s unchanged', (_, d) => {
    const tree = fromDefinition(d);
    expect(tree).not.toBeNull();
    const written = toDefinition(tree as GroupNode, types);
    expect(written.problems).toEqual([]);
    expect(written.definition).toEqual(d);
  });

  it('gives up on shapes the builder cannot show (SQL, lookalike, unknown nodes)', () => {
    expect(fromDefinition({ sql: 'SELECT 1' })).toBeNull();
    expect(fromDefinition({ lookalike: { segment: 's', size: 10 } })).toBeNull();
    expect(fromDefinition({ all: [{ attr: 'a', op: 'eq', value: 1 }, { weird: true }] })).toBeNull();
  });

  it('offers only the operators of the type: a string attribute left on gt is sent as eq', () => {
    const row: AttrRow = { ...newAttrRow(), attr: 'city', op: 'gt', value: 'x' };
    expect(toDefinition(newGroup('all', [row]), types).definition).toEqual({ all: [{ attr: 'city', op: 'eq', value: 'x' }] });
  });

  it('reports what is missing at the API path below its node', () => {
    const attr: AttrRow = { ...newAttrRow(), attr: 'age', op: 'between', value: '3', value2: 'x' };
    const ev: EventRow = { ...newEventRow(), event: '', mode: 'count', countValue: null };
    const seq: SequenceRow = newSequenceRow();
    const { definition, problems } = toDefinition(newGroup('any', [attr, ev, seq]), types);
    expect(definition).toBeNull();
    expect(problems.map((p) => [p.node, p.field, p.reason])).toEqual([
      [attr.key, 'value[1]', 'number'],
      [ev.key, 'event', 'required'],
      [ev.key, 'count.value', 'integer'],
      [seq.key, 'sequence[0].event', 'required'],
      [seq.key, 'sequence[1].event', 'required'],
    ]);
  });

  it('places an API detail path on the node it names, through NOT and nested groups', () => {
    const tree = fromDefinition({ all: [{ attr: 'city', op: 'eq', value: 'x' }, { not: { any: [{ event: 'e', where: [{ prop: 'p', op: 'eq', value: 1 }] }] } }] }) as GroupNode;
    const { paths } = toDefinition(tree, types);
    const group = tree.children[1] as GroupNode;
    const event = group.children[0]!;
    expect(locate(['definition', 'all', 0, 'op'], paths)).toEqual({ node: tree.children[0]!.key, field: 'op' });
    expect(locate(['definition', 'all', 1, 'not', 'any', 0, 'where', 0, 'value'], paths)).toEqual({ node: event.key, field: 'where[0].value' });
    expect(locate(['definition', 'all', 1, 'not', 'any'], paths)).toEqual({ node: group.key, field: 'any' });
    expect(locate(['name'], paths)).toBeNull();
  });
});
