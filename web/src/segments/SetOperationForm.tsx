import { Radio, Select, Space, Typography } from 'antd';
import { useI18n } from '../i18n/i18n-context.ts';
import type { Definition } from './builder-model.ts';
import { FieldError } from './FieldError.tsx';
import type { SegmentFull } from './segment-api.ts';

export type SetOp = 'union' | 'intersection' | 'difference';
export interface SetsValue {
  op: SetOp;
  /** Union / intersection: the segments; difference: the base segments (their union). */
  segments: string[];
  /** Difference: the segments taken away. */
  minus: string[];
}
export const emptySets = (): SetsValue => ({ op: 'union', segments: [], minus: [] });

const refs = (ids: string[]) => ids.map((segment) => ({ segment }));

/** Union = any, intersection = all, difference = all + not (API.md "Segment reference"). */
export function setsDefinition(v: SetsValue): Definition | null {
  if (v.segments.length === 0) return null;
  if (v.op === 'union') return { any: refs(v.segments) };
  if (v.op === 'intersection') return { all: refs(v.segments) };
  if (v.minus.length === 0) return null;
  const base = v.segments.length === 1 ? { segment: v.segments[0] } : { any: refs(v.segments) };
  return { all: [base, { not: v.minus.length === 1 ? { segment: v.minus[0] } : { any: refs(v.minus) } }] };
}

interface Props {
  value: SetsValue;
  onChange: (v: SetsValue) => void;
  segments: SegmentFull[];
  errors: string[];
}

/** Combine saved segments by picking them; the count is live like the builder's. */
export function SetOperationForm({ value, onChange, segments, errors }: Props) {
  const { t } = useI18n();
  const options = segments.map((s) => ({ value: s.id, label: `${s.name} (${s.count ?? '—'})` }));
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="sets-form">
      <div data-testid="sets-op">
        <Radio.Group value={value.op} onChange={(e) => onChange({ ...value, op: e.target.value as SetOp })} optionType="button"
          options={(['union', 'intersection', 'difference'] as const).map((op) => ({ value: op, label: t(`sets.${op}`) }))} />
      </div>
      <Typography.Text type="secondary">{t(`sets.${value.op}.help`)}</Typography.Text>
      <FieldError label={value.op === 'difference' ? t('sets.base') : t('sets.segments')} errors={errors}>
        <div data-testid="sets-segments">
          <Select mode="multiple" value={value.segments} onChange={(segments: string[]) => onChange({ ...value, segments })} options={options} optionFilterProp="label" style={{ width: '100%' }} />
        </div>
      </FieldError>
      {value.op === 'difference' && (
        <FieldError label={t('sets.minus')}>
          <div data-testid="sets-minus">
            <Select mode="multiple" value={value.minus} onChange={(minus: string[]) => onChange({ ...value, minus })} options={options} optionFilterProp="label" style={{ width: '100%' }} />
          </div>
        </FieldError>
      )}
    </Space>
  );
}
