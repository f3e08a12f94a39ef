import { PlusOutlined } from '@ant-design/icons';
import { Button, Divider, Empty, Radio, Space } from 'antd';
import { Fragment } from 'react';
import { useI18n } from '../i18n/i18n-context.ts';
import { newAttrRow, newEventRow, type BuilderState, type Row, type RowField } from './builder-model.ts';
import { ConditionRow, type RowErrors } from './ConditionRow.tsx';

export type BuilderErrors = Record<number, RowErrors>;

/** Adds one message to `errors[row][field]`. */
export function addRowError(errors: BuilderErrors, row: number, field: RowField, message: string): BuilderErrors {
  const r = errors[row] ?? {};
  return { ...errors, [row]: { ...r, [field]: [...(r[field] ?? []), message] } };
}

interface Props {
  value: BuilderState;
  onChange: (next: BuilderState) => void;
  errors: BuilderErrors;
}

/** Rows of attribute/behaviour conditions joined by AND (all) or OR (any). */
export function ConditionBuilder({ value, onChange, errors }: Props) {
  const { t } = useI18n();
  const setRow = (i: number, row: Row) => onChange({ ...value, rows: value.rows.map((r, j) => (j === i ? row : r)) });
  const removeRow = (i: number) => onChange({ ...value, rows: value.rows.filter((_, j) => j !== i) });
  const joiner = value.combinator === 'all' ? t('builder.and') : t('builder.or');

  return (
    <div data-testid="condition-builder">
      <Space wrap style={{ marginBottom: 16 }}>
        <span>{t('builder.match')}</span>
        <Radio.Group
          value={value.combinator}
          onChange={(e) => onChange({ ...value, combinator: e.target.value as BuilderState['combinator'] })}
          optionType="button"
          options={[{ value: 'all', label: t('builder.all') }, { value: 'any', label: t('builder.any') }]}
          data-testid="combinator"
        />
      </Space>
      {value.rows.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('builder.empty')} />}
      {value.rows.map((row, i) => (
        <Fragment key={row.key}>
          {i > 0 && <Divider plain style={{ margin: '4px 0 8px' }}>{joiner}</Divider>}
          <ConditionRow index={i} row={row} errors={errors[i] ?? {}} onChange={(r) => setRow(i, r)} onRemove={() => removeRow(i)} />
        </Fragment>
      ))}
      <Space wrap style={{ marginTop: 12 }}>
        <Button icon={<PlusOutlined />} onClick={() => onChange({ ...value, rows: [...value.rows, newAttrRow()] })} data-testid="add-attr">{t('builder.addAttr')}</Button>
        <Button icon={<PlusOutlined />} onClick={() => onChange({ ...value, rows: [...value.rows, newEventRow()] })} data-testid="add-event">{t('builder.addEvent')}</Button>
      </Space>
    </div>
  );
}
