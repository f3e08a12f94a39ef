import { cpus, totalmem } from 'node:os';
import { Engine } from 'json-rules-engine';
import type { PropCondition } from '../src/audiences/definition.schema.ts';
import { matchesWhere } from '../src/delivery/trigger-where.ts';
import { mulberry32 } from '../src/demo/random.ts';
import { fmt, header, median, option, verdicts, type Machine } from './lib/setup.ts';

/**
 * Rule evaluation in memory (DESIGN.md: "rule/segment predicate evaluation in memory ≥ 10 ×
 * json-rules-engine on the same rules"): the predicate that decides, for each arriving event,
 * whether a trigger task's `where` matches (src/delivery/trigger-where.ts `matchesWhere`, the
 * operators of a segment's event `where`), against json-rules-engine evaluating the same rules
 * on the same events in the same process.
 *
 *   npm run bench -- rules [--events 100000] [--rounds 5]
 *
 * Four rules of two to five conditions over an order event's properties (equality, ranges,
 * lists, a property that may be missing), written in both languages; every event is evaluated
 * against every rule on both sides and the answers must agree (a disagreement fails the run).
 * json-rules-engine gets its best setting: one engine holding all four rules, run once per
 * event, `allowUndefinedFacts` (a trigger's event may lack a property), and each round takes the
 * faster of awaiting each run in turn and running 100 at a time. Rounds alternate which side runs
 * first; the median of the per-round ratios governs.
 */
const EVENTS = option('events', 100_000);
const ROUNDS = option('rounds', 5);
const TZ = 'Asia/Shanghai';
const NOW = new Date('2026-12-06T12:00:00Z');

interface Rule { name: string; where: PropCondition[]; jre: { fact: string; operator: string; value: unknown }[] }
const c = (prop: string, op: PropCondition['op'], value?: unknown) => ({ prop, op, value }) as PropCondition;
const rules: Rule[] = [
  {
    name: 'big app order',
    where: [c('amount', 'gte', 20_000), c('channel', 'in', ['app', 'mini']), c('firstOrder', 'eq', true)],
    jre: [{ fact: 'amount', operator: 'greaterThanInclusive', value: 20_000 }, { fact: 'channel', operator: 'in', value: ['app', 'mini'] }, { fact: 'firstOrder', operator: 'equal', value: true }],
  },
  {
    name: 'tea in a price band',
    where: [c('category', 'eq', 'tea'), c('amount', 'gte', 5_000), c('amount', 'lte', 50_000)],
    jre: [{ fact: 'category', operator: 'equal', value: 'tea' }, { fact: 'amount', operator: 'greaterThanInclusive', value: 5_000 }, { fact: 'amount', operator: 'lessThanInclusive', value: 50_000 }],
  },
  {
    name: 'not from a partner, no coupon',
    where: [c('channel', 'notIn', ['partner', 'offline']), c('coupon', 'neq', 'WELCOME'), c('items', 'gt', 1), c('city', 'neq', 'Beijing'), c('amount', 'lt', 100_000)],
    jre: [
      { fact: 'channel', operator: 'notIn', value: ['partner', 'offline'] }, { fact: 'coupon', operator: 'notEqual', value: 'WELCOME' },
      { fact: 'items', operator: 'greaterThan', value: 1 }, { fact: 'city', operator: 'notEqual', value: 'Beijing' }, { fact: 'amount', operator: 'lessThan', value: 100_000 },
    ],
  },
  {
    name: 'southern city, cheap',
    where: [c('city', 'in', ['Guangzhou', 'Shenzhen', 'Xiamen']), c('amount', 'lt', 3_000)],
    jre: [{ fact: 'city', operator: 'in', value: ['Guangzhou', 'Shenzhen', 'Xiamen'] }, { fact: 'amount', operator: 'lessThan', value: 3_000 }],
  },
];

// Events: a shop's orders, some properties missing (the coupon on 70 %, the category on 10 %).
const rng = mulberry32(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const events: Record<string, unknown>[] = Array.from({ length: EVENTS }, () => {
  const e: Record<string, unknown> = {
    amount: Math.floor(rng() * 60_000), channel: pick(['app', 'mini', 'web', 'partner', 'offline']), firstOrder: rng() < 0.3,
    items: 1 + Math.floor(rng() * 4), city: pick(['Shanghai', 'Beijing', 'Guangzhou', 'Shenzhen', 'Xiamen', 'Chengdu']),
  };
  if (rng() < 0.3) e.coupon = pick(['WELCOME', 'AUTUMN', 'VIP']);
  if (rng() < 0.9) e.category = pick(['tea', 'teaware', 'snacks']);
  return e;
});

const engine = new Engine([], { allowUndefinedFacts: true });
rules.forEach((r, i) => engine.addRule({ conditions: { all: r.jre }, event: { type: String(i) }, name: r.name }));

/** Which rules each event matches, as one bitmask per event. */
function ours(): Uint8Array {
  const out = new Uint8Array(EVENTS);
  for (let i = 0; i < EVENTS; i++) {
    let m = 0;
    for (let r = 0; r < rules.length; r++) if (matchesWhere(rules[r]!.where, events[i]!, TZ, NOW)) m |= 1 << r;
    out[i] = m;
  }
  return out;
}
async function theirs(inFlight: number): Promise<Uint8Array> {
  const out = new Uint8Array(EVENTS);
  const one = async (i: number) => {
    const { events: fired } = await engine.run(events[i]!);
    let m = 0;
    for (const f of fired) m |= 1 << Number(f.type);
    out[i] = m;
  };
  for (let i = 0; i < EVENTS; i += inFlight) {
    if (inFlight === 1) await one(i);
    else await Promise.all(Array.from({ length: Math.min(inFlight, EVENTS - i) }, (_, k) => one(i + k)));
  }
  return out;
}
const timed = async <T>(f: () => T | Promise<T>): Promise<{ rate: number; value: T }> => {
  const t = performance.now();
  const value = await f();
  return { rate: EVENTS / ((performance.now() - t) / 1000), value };
};

const machine: Machine = {
  cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? '?', memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version, postgres: '–', database: 'none (in memory)', fsync: '–', synchronousCommit: '–',
};
header('Benchmark: rule evaluation in memory vs json-rules-engine', machine, {
  workload: `${fmt(EVENTS)} order events × ${rules.length} rules (${rules.map((r) => r.where.length).join(', ')} conditions), ${ROUNDS} rounds`,
  peer: 'json-rules-engine 7, one engine with the four rules, allowUndefinedFacts; the faster of 1 and 100 runs in flight',
});

// Warm-up (JIT) and the agreement check.
const a = ours();
const b1 = await theirs(1);
let disagree = 0;
for (let i = 0; i < EVENTS; i++) if (a[i] !== b1[i]) disagree++;
const share = rules.map((_, r) => a.reduce((n, m) => n + ((m >> r) & 1), 0) / EVENTS);
process.stdout.write(`agreement: ${fmt(EVENTS - disagree)} of ${fmt(EVENTS)} events; share matching each rule ${share.map((s) => `${fmt(s * 100, 1)} %`).join(', ')}\n`);

const ratios: number[] = [];
const oursRates: number[] = [];
const theirRates: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 ? ['ours', 'theirs'] : ['theirs', 'ours'];
  let mine = 0, peer = 0;
  for (const side of order) {
    if (side === 'ours') mine = (await timed(ours)).rate;
    else peer = Math.max((await timed(() => theirs(1))).rate, (await timed(() => theirs(100))).rate);
  }
  ratios.push(mine / peer);
  oursRates.push(mine);
  theirRates.push(peer);
  process.stdout.write(`round ${round}: matchesWhere ${fmt(mine)} events/s · json-rules-engine ${fmt(peer)} events/s · ratio ${fmt(mine / peer, 1)}\n`);
}
const ratio = median(ratios);
process.stdout.write(`\nmedian: matchesWhere ${fmt(median(oursRates))} events/s (${fmt(1e6 / median(oursRates) / rules.length, 2)} µs per rule) · json-rules-engine ${fmt(median(theirRates))} events/s · ratio ${fmt(ratio, 1)}\n`);
verdicts('rules', [
  { name: 'rule evaluation in memory vs json-rules-engine (same rules, same events)', target: '≥ 10 ×', measured: `${fmt(ratio, 1)} × (${fmt(median(oursRates))} vs ${fmt(median(theirRates))} events × 4 rules per s)`, pass: ratio >= 10 },
  { name: 'same answers as json-rules-engine', target: 'every event', measured: `${fmt(disagree)} disagreements`, pass: disagree === 0 },
], { machine, events: EVENTS, rounds: ROUNDS, rules: rules.length, ratios: ratios.map((r) => Number(r.toFixed(2))), ours: Math.round(median(oursRates)), jsonRulesEngine: Math.round(median(theirRates)) });
