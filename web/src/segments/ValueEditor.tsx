import { AutoComplete, DatePicker, Input, InputNumber, Select, Space } from 'antd';
import dayjs from 'dayjs';
import { useI18n } from '../i18n/i18n-context.ts';
import type { MessageKey } from '../i18n/en-US.ts';
import { opFor, opsByType, type AttrOp, valueTypes, type CondValue, type DateValue, type ValueType } from './builder-model.ts';
import { FieldError } from './FieldError.tsx';

interface DateProps {
  value: DateValue;
  onChange: (v: DateValue) => void;
  testid: string;
}

/** A date as `T-N` ("N days ago", negative = ahead; calendar days in the workspace timezone) or a picked date. */
export function DateValueInput({ value, onChange, testid }: DateProps) {
  const { t } = useI18n();
  return (
    <Space.Compact>
      <Select
        value={value.mode} style={{ width: 130 }} data-testid={`${testid}-mode`}
        onChange={(mode) => onChange({ ...value, mode })}
        options={[{ value: 'relative', label: t('builder.date.relative') }, { value: 'date', label: t('builder.date.calendar') }]}
      />
      {value.mode === 'relative' ? (
        <InputNumber
          value={value.days} precision={0} min={-3650} max={36500} style={{ width: 150 }}
          onChange={(days) => onChange({ ...value, days })} data-testid={testid}
          suffix={t('builder.date.daysAgo')}
        />
      ) : (
        <DatePicker
          value={value.date ? dayjs(value.date) : null} style={{ width: 160 }} data-testid={testid}
          onChange={(d) => onChange({ ...value, date: d ? d.format('YYYY-MM-DD') : '' })}
        />
      )}
    </Space.Compact>
  );
}

interface Props {
  value: CondValue;
  /** The type the condition is read with (catalog, else `value.type`). */
  type: ValueType;
  /** The catalog does not know the field's type: let the operator choose it. */
  chooseType: boolean;
  suggestions: string[];
  testid: string;
  errors: { op: string[]; value: string[] };
  onChange: (v: CondValue) => void;
  /** Fewer operators than the type has (first/last take the date operators without exists). */
  ops?: readonly AttrOp[];
}

/** Operator and value of a typed condition: only the operators of the type, an editor per type. */
export function ValueEditor({ value, type, chooseType, suggestions, testid, errors, onChange, ops }: Props) {
  const { t } = useI18n();
  const offered = ops ?? opsByType[type];
  const op = offered.includes(value.op) ? value.op : offered[0] as AttrOp;
  const set = (patch: Partial<CondValue>) => onChange({ ...value, op, ...patch });
  const options = suggestions.map((s) => ({ value: s }));

  const editor = () => {
    if (op === 'exists' || op === 'notExists') return null;
    if (op === 'withinLastDays') {
      return <InputNumber value={value.days} min={0} precision={0} onChange={(days) => set({ days })} suffix={t('builder.days')} style={{ width: 140 }} data-testid={`${testid}-value`} />;
    }
    if (op === 'in' || op === 'notIn') {
      return (
        <div data-testid={`${testid}-value`}>
          <Select mode="tags" value={value.list} onChange={(list: string[]) => set({ list })} options={options} tokenSeparators={[',', '，']} style={{ minWidth: 220 }} placeholder={t('builder.values')} />
        </div>
      );
    }
    if (type === 'date') {
      if (op === 'between') {
        return (
          <Space wrap>
            <DateValueInput value={value.date} onChange={(date) => set({ date })} testid={`${testid}-value`} />
            <span>—</span>
            <DateValueInput value={value.date2} onChange={(date2) => set({ date2 })} testid={`${testid}-value2`} />
          </Space>
        );
      }
      return <DateValueInput value={value.date} onChange={(date) => set({ date })} testid={`${testid}-value`} />;
    }
    if (type === 'boolean') {
      return (
        <div data-testid={`${testid}-value`}>
          <Select value={value.value || undefined} onChange={(v: string) => set({ value: v })} style={{ width: 120 }} options={[{ value: 'true', label: t('builder.true') }, { value: 'false', label: t('builder.false') }]} />
        </div>
      );
    }
    if (op === 'between') {
      return (
        <Space>
          <Input value={value.value} onChange={(e) => set({ value: e.target.value })} style={{ width: 110 }} inputMode="decimal" data-testid={`${testid}-value`} />
          <span>—</span>
          <Input value={value.value2} onChange={(e) => set({ value2: e.target.value })} style={{ width: 110 }} inputMode="decimal" data-testid={`${testid}-value2`} />
        </Space>
      );
    }
    if (type === 'number') return <Input value={value.value} onChange={(e) => set({ value: e.target.value })} style={{ width: 160 }} inputMode="decimal" placeholder="100" data-testid={`${testid}-value`} />;
    return (
      <AutoComplete value={value.value} options={options} onChange={(v: string) => set({ value: v })} style={{ width: 200 }} filterOption={(input, o) => String(o?.value ?? '').toLowerCase().includes(input.toLowerCase())}>
        <Input data-testid={`${testid}-value`} />
      </AutoComplete>
    );
  };

  return (
    <>
      {chooseType && (
        <FieldError label={t('builder.valueType')}>
          <div data-testid={`${testid}-type`}>
            <Select value={value.type} onChange={(nt: ValueType) => onChange({ ...value, type: nt, op: opFor(nt, value.op) })} style={{ width: 110 }} options={valueTypes.map((v) => ({ value: v, label: t(`valueType.${v}` as MessageKey) }))} />
          </div>
        </FieldError>
      )}
      <FieldError label={t('builder.op')} errors={errors.op}>
        <div data-testid={`${testid}-op`}>
          <Select value={op} onChange={(o) => set({ op: o })} style={{ width: 150 }} options={offered.map((o) => ({ value: o, label: t(`op.${o}` as MessageKey) }))} />
        </div>
      </FieldError>
      {op !== 'exists' && op !== 'notExists' && (
        <FieldError label={op === 'in' || op === 'notIn' ? t('builder.values') : t('builder.value')} errors={errors.value}>
          {editor()}
        </FieldError>
      )}
    </>
  );
}
