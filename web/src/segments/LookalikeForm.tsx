import { InputNumber, Select, Space, Typography } from 'antd';
import { useI18n } from '../i18n/i18n-context.ts';
import type { Definition } from './builder-model.ts';
import { FieldError } from './FieldError.tsx';
import type { SegmentFull } from './segment-api.ts';

export interface LookalikeValue {
  segment: string;
  size: number | null;
}

/** `{"lookalike":{"segment","size"}}`: the `size` non-members most like the seed segment. */
export function lookalikeDefinition(v: LookalikeValue): Definition | null {
  return v.segment && v.size ? { lookalike: { segment: v.segment, size: v.size } } : null;
}

interface Props {
  value: LookalikeValue;
  onChange: (v: LookalikeValue) => void;
  segments: SegmentFull[];
  errors: { segment: string[]; size: string[] };
}

export function LookalikeForm({ value, onChange, segments, errors }: Props) {
  const { t } = useI18n();
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="lookalike-form">
      <Typography.Text type="secondary">{t('lookalike.help')}</Typography.Text>
      <Space wrap align="start">
        <FieldError label={t('lookalike.seed')} errors={errors.segment}>
          <div data-testid="lookalike-seed">
            <Select value={value.segment || undefined} onChange={(segment: string) => onChange({ ...value, segment })} showSearch optionFilterProp="label" style={{ width: 320 }}
              options={segments.map((s) => ({ value: s.id, label: `${s.name} (${s.count ?? '—'})` }))} />
          </div>
        </FieldError>
        <FieldError label={t('lookalike.size')} errors={errors.size}>
          <InputNumber min={1} precision={0} value={value.size} onChange={(size) => onChange({ ...value, size })} style={{ width: 160 }} data-testid="lookalike-size" />
        </FieldError>
      </Space>
    </Space>
  );
}
