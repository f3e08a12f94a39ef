import { DeleteOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Form, Input, InputNumber, Select, Space, Tag } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/i18n-context.ts';
import { attrOps, countOps, effectiveType, valueTypes, type AttrRow, type EventMode, type EventRow, type Row, type RowField } from './builder-model.ts';

const builtinAttrs = ['phone', 'email', 'platform', 'createdAt', 'orderCount', 'orderTotal', 'firstOrderAt', 'lastOrderAt'];
const knownEvents = ['order_paid', 'page_view', 'register', '$message_sent', '$link_clicked', '$coupon_redeemed'];

export type RowErrors = Partial<Record<RowField, string[]>>;

interface Props<R extends Row> {
  index: number;
  row: R;
  errors: RowErrors;
  onChange: (row: R) => void;
  onRemove: () => void;
}

function FieldError({ errors, children, label }: { errors?: string[]; children: ReactNode; label: string }) {
  return (
    <Form.Item label={label} validateStatus={errors?.length ? 'error' : undefined} help={errors?.length ? errors.join(' ') : undefined} style={{ marginBottom: 8 }}>
      {children}
    </Form.Item>
  );
}

function AttrConditionRow({ index, row, errors, onChange, onRemove }: Props<AttrRow>) {
  const { t } = useI18n();
  const numeric = effectiveType(row) === 'number' && row.op !== 'eq' && row.op !== 'neq' && row.op !== 'in';
  return (
    <Space wrap align="start" data-testid={`cond-${index}`} data-kind="attr">
      <Tag color="blue" style={{ marginTop: 36 }}>{t('builder.attribute')}</Tag>
      <FieldError label={t('builder.attrName')} errors={errors.attr}>
        <div data-testid={`cond-${index}-attr`}>
          <AutoComplete value={row.attr} options={builtinAttrs.map((a) => ({ value: a }))} onChange={(v: string) => onChange({ ...row, attr: v })} style={{ width: 180 }} placeholder="city" filterOption={(input, option) => String(option?.value ?? '').toLowerCase().includes(input.toLowerCase())} />
        </div>
      </FieldError>
      <FieldError label={t('builder.op')} errors={errors.op}>
        <div data-testid={`cond-${index}-op`}>
          <Select value={row.op} onChange={(op) => onChange({ ...row, op })} style={{ width: 150 }} options={attrOps.map((op) => ({ value: op, label: t(`op.${op}`) }))} />
        </div>
      </FieldError>
      {row.op !== 'exists' && (
        <>
          {!numeric && (
            <FieldError label={t('builder.valueType')}>
              <div data-testid={`cond-${index}-type`}>
                <Select value={row.valueType} onChange={(valueType) => onChange({ ...row, valueType })} style={{ width: 110 }} options={valueTypes.map((v) => ({ value: v, label: t(`valueType.${v}`) }))} />
              </div>
            </FieldError>
          )}
          <FieldError label={row.op === 'in' ? t('builder.values') : t('builder.value')} errors={errors.value}>
            <Input value={row.value} onChange={(e) => onChange({ ...row, value: e.target.value })} style={{ width: 200 }} placeholder={row.op === 'in' ? 'a, b, c' : numeric ? '100' : ''} data-testid={`cond-${index}-value`} />
          </FieldError>
        </>
      )}
      <Button type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('builder.remove')} style={{ marginTop: 30 }} data-testid={`cond-${index}-remove`} />
    </Space>
  );
}

function EventConditionRow({ index, row, errors, onChange, onRemove }: Props<EventRow>) {
  const { t } = useI18n();
  const modes: EventMode[] = ['did', 'didNot', 'count'];
  return (
    <Space wrap align="start" data-testid={`cond-${index}`} data-kind="event">
      <Tag color="purple" style={{ marginTop: 36 }}>{t('builder.behaviour')}</Tag>
      <FieldError label={t('builder.event')} errors={errors.event}>
        <div data-testid={`cond-${index}-event`}>
          <AutoComplete value={row.event} options={knownEvents.map((e) => ({ value: e }))} onChange={(v: string) => onChange({ ...row, event: v })} style={{ width: 180 }} placeholder="order_paid" filterOption={(input, option) => String(option?.value ?? '').toLowerCase().includes(input.toLowerCase())} />
        </div>
      </FieldError>
      <FieldError label={t('builder.mode')}>
        <div data-testid={`cond-${index}-mode`}>
          <Select value={row.mode} onChange={(mode) => onChange({ ...row, mode })} style={{ width: 140 }} options={modes.map((m) => ({ value: m, label: t(`mode.${m}`) }))} />
        </div>
      </FieldError>
      {row.mode === 'count' && (
        <FieldError label={t('builder.count')} errors={errors.count}>
          <Space.Compact>
            <Select value={row.countOp} onChange={(countOp) => onChange({ ...row, countOp })} style={{ width: 90 }} options={countOps.map((op) => ({ value: op, label: t(`op.${op}`) }))} />
            <InputNumber min={0} precision={0} value={row.countValue} onChange={(v) => onChange({ ...row, countValue: v })} style={{ width: 90 }} data-testid={`cond-${index}-count`} />
          </Space.Compact>
        </FieldError>
      )}
      <FieldError label={t('builder.lastDays')} errors={errors.lastDays}>
        <InputNumber min={1} max={3650} precision={0} value={row.lastDays} onChange={(v) => onChange({ ...row, lastDays: v })} placeholder={t('builder.allTime')} style={{ width: 120 }} data-testid={`cond-${index}-days`} />
      </FieldError>
      <Button type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('builder.remove')} style={{ marginTop: 30 }} data-testid={`cond-${index}-remove`} />
    </Space>
  );
}

/** One row of the builder: an attribute condition or a behaviour condition. */
export function ConditionRow(props: Props<Row>) {
  const { row } = props;
  if (row.kind === 'attr') return <AttrConditionRow {...props} row={row} onChange={(r) => props.onChange(r)} />;
  return <EventConditionRow {...props} row={row} onChange={(r) => props.onChange(r)} />;
}
