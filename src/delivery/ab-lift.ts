import { errorFunction } from 'simple-statistics';

/**
 * A/B lift of a variant against the task's control group: conversion rates over touched users,
 * the relative lift, and the two-sided p-value of a pooled two-proportion z-test (is the
 * difference more than chance?). Figures are rounded to 4 decimals. Null where a figure has no
 * meaning: no control group, nobody in a group, or a control that never converts (lift) or
 * groups that all or never convert (p-value).
 */
export interface Lift { conversionRate: number; lift: number | null; pValue: number | null }

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const normalCdf = (z: number) => 0.5 * (1 + errorFunction(z / Math.SQRT2));

export function liftAgainst(group: { users: number; converted: number }, control: { users: number; converted: number } | null): Lift {
  const rate = group.users > 0 ? group.converted / group.users : 0;
  if (!control || control.users === 0 || group.users === 0) return { conversionRate: round4(rate), lift: null, pValue: null };
  const base = control.converted / control.users;
  const pooled = (group.converted + control.converted) / (group.users + control.users);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / group.users + 1 / control.users));
  return {
    conversionRate: round4(rate),
    lift: base > 0 ? round4((rate - base) / base) : null,
    pValue: se > 0 ? round4(2 * (1 - normalCdf(Math.abs(rate - base) / se))) : null,
  };
}
