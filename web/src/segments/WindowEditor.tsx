import { DatePicker, InputNumber, Select, Space } from 'antd';
import dayjs from 'dayjs';
import { useI18n } from '../i18n/i18n-context.ts';
import type { WindowKind, WindowValue } from './builder-model.ts';
import { FieldError } from './FieldError.tsx';

interface Props {
  value: WindowValue;
  onChange: (v: WindowValue) => void;
  testid: string;
  errors: string[];
}

const kinds: WindowKind[] = ['all', 'lastDays', 'relative', 'absolute'];

/**
 * The time window of a behaviour or sequence: all time, the last N×24 hours, calendar days
 * T-a … T-b (inclusive, workspace timezone), or instants since … until.
 */
export function WindowEditor({ value, onChange, testid, errors }: Props) {
  const { t } = useI18n();
  return (
    <FieldError label={t('builder.window')} errors={errors}>
      <Space.Compact>
        <div data-testid={`${testid}-window`}>
          <Select value={value.kind} onChange={(kind) => onChange({ ...value, kind, lastDays: value.lastDays ?? 30 })} style={{ width: 150 }} options={kinds.map((k) => ({ value: k, label: t(`builder.window.${k}`) }))} />
        </div>
        {value.kind === 'lastDays' && (
          <InputNumber min={1} max={3650} precision={0} value={value.lastDays} onChange={(lastDays) => onChange({ ...value, lastDays })} suffix={t('builder.days')} style={{ width: 130 }} data-testid={`${testid}-days`} />
        )}
        {value.kind === 'relative' && (
          <>
            <InputNumber precision={0} value={value.fromDays} onChange={(fromDays) => onChange({ ...value, fromDays })} prefix="T-" style={{ width: 100 }} data-testid={`${testid}-from`} />
            <InputNumber precision={0} value={value.toDays} onChange={(toDays) => onChange({ ...value, toDays })} prefix={`${t('builder.window.to')} T-`} style={{ width: 130 }} data-testid={`${testid}-to`} />
          </>
        )}
        {value.kind === 'absolute' && (
          <div data-testid={`${testid}-range`}>
            <DatePicker.RangePicker
              showTime allowEmpty={[false, true]}
              value={[value.since ? dayjs(value.since) : null, value.until ? dayjs(value.until) : null]}
              onChange={(r) => onChange({ ...value, since: r?.[0] ? r[0].format() : '', until: r?.[1] ? r[1].format() : '' })}
            />
          </div>
        )}
      </Space.Compact>
    </FieldError>
  );
}
