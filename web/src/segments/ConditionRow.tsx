import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Card, Checkbox, InputNumber, Select, Space, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/i18n-context.ts';
import type { MessageKey } from '../i18n/en-US.ts';
import {
  aggregateOps, countOps, errorsAt, eventModes, newStep, timeOps, typeOfAttr,
  type AttrRow, type EventRow, type LeafNode, type SegmentRefRow, type SequenceRow,
} from './builder-model.ts';
import { useBuilder } from './builder-context.ts';
import { FieldError } from './FieldError.tsx';
import { ValueEditor } from './ValueEditor.tsx';
import { WhereList } from './WhereList.tsx';
import { WindowEditor } from './WindowEditor.tsx';

const builtinAttrs = ['externalId', 'phone', 'email', 'platform', 'createdAt', 'firstOrderAt', 'lastOrderAt', 'orderCount', 'orderTotal'];
const knownEvents = ['order_paid', 'page_view', 'register', '$message_sent', '$message_delivered', '$link_clicked', '$unsubscribed', '$coupon_granted', '$coupon_redeemed'];
const matchAny = (input: string, option?: { value?: unknown }) => String(option?.value ?? '').toLowerCase().includes(input.toLowerCase());

interface Props<R extends LeafNode> {
  testid: string;
  row: R;
  onChange: (row: R) => void;
  onRemove: () => void;
}

/** The frame of one condition: its kind, a NOT switch, the fields, messages for the node itself, remove. */
function RowFrame({ testid, kind, color, negate, onNegate, onRemove, children, nodeErrors }: {
  testid: string; kind: string; color: string; negate: boolean; onNegate: (v: boolean) => void; onRemove: () => void; children: ReactNode; nodeErrors: string[];
}) {
  const { t } = useI18n();
  return (
    <div data-testid={testid} data-kind={kind} style={{ borderLeft: `3px solid ${negate ? '#ff4d4f' : 'transparent'}`, paddingLeft: 6 }}>
      <Space wrap align="start">
        <Space orientation="vertical" size={2} style={{ marginTop: 30 }}>
          <Tag color={color}>{t(`builder.kind.${kind}` as MessageKey)}</Tag>
          <Checkbox checked={negate} onChange={(e) => onNegate(e.target.checked)} data-testid={`${testid}-not`}>{t('builder.not')}</Checkbox>
        </Space>
        {children}
        <Button type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('builder.remove')} style={{ marginTop: 30 }} data-testid={`${testid}-remove`} />
      </Space>
      {nodeErrors.length > 0 && <Typography.Text type="danger" data-testid={`${testid}-error`}>{nodeErrors.join(' ')}</Typography.Text>}
    </div>
  );
}

/** Messages on the node that no field of the row claims (shown under the row). */
function otherErrors(fields: Record<string, string[]> | undefined, claimed: string[]): string[] {
  if (!fields) return [];
  return Object.entries(fields).filter(([f]) => !claimed.some((c) => f === c || f.startsWith(`${c}[`) || f.startsWith(`${c}.`))).flatMap(([, m]) => m);
}

function AttrConditionRow({ testid, row, onChange, onRemove }: Props<AttrRow>) {
  const { t } = useI18n();
  const { catalog, types, topValues, errors } = useBuilder();
  const fields = errors[row.key];
  const known = types.attr(row.attr.trim());
  const names = [...new Set([...builtinAttrs, ...catalog.attributes.map((a) => a.name)])];
  const typeLabel = (n: string) => {
    const ty = types.attr(n);
    return ty ? `${n} · ${t(`valueType.${ty}`)}` : n;
  };
  return (
    <RowFrame testid={testid} kind="attr" color="blue" negate={row.negate} onNegate={(negate) => onChange({ ...row, negate })} onRemove={onRemove} nodeErrors={otherErrors(fields, ['attr', 'op', 'value'])}>
      <FieldError label={t('builder.attrName')} errors={errorsAt(fields, 'attr')}>
        <div data-testid={`${testid}-attr`}>
          <AutoComplete value={row.attr} options={names.map((a) => ({ value: a, label: typeLabel(a) }))} onChange={(v: string) => onChange({ ...row, attr: v })} style={{ width: 200 }} placeholder="city" filterOption={matchAny} />
        </div>
      </FieldError>
      <ValueEditor
        value={row} type={typeOfAttr(row, types)} chooseType={!known} suggestions={topValues(row.attr.trim())} testid={testid}
        errors={{ op: errorsAt(fields, 'op'), value: errorsAt(fields, 'value') }}
        onChange={(v) => onChange({ ...row, ...v })}
      />
    </RowFrame>
  );
}

function EventName({ testid, value, onChange, errors }: { testid: string; value: string; onChange: (v: string) => void; errors: string[] }) {
  const { t } = useI18n();
  const { catalog } = useBuilder();
  const names = [...new Set([...catalog.events.map((e) => e.name), ...knownEvents])];
  const counts = new Map(catalog.events.map((e) => [e.name, e.count]));
  return (
    <FieldError label={t('builder.event')} errors={errors}>
      <div data-testid={`${testid}-event`}>
        <AutoComplete value={value} options={names.map((e) => ({ value: e, label: counts.has(e) ? `${e} (${counts.get(e)})` : e }))} onChange={onChange} style={{ width: 190 }} placeholder="order_paid" filterOption={matchAny} />
      </div>
    </FieldError>
  );
}

function EventConditionRow({ testid, row, onChange, onRemove }: Props<EventRow>) {
  const { t } = useI18n();
  const { catalog, errors } = useBuilder();
  const fields = errors[row.key];
  const numericProps = (catalog.events.find((e) => e.name === row.event.trim())?.properties ?? []).filter((p) => p.type === 'number').map((p) => ({ value: p.name }));
  const agg = row.mode === 'sum' || row.mode === 'avg' || row.mode === 'min' || row.mode === 'max';
  return (
    <RowFrame testid={testid} kind="event" color="purple" negate={row.negate} onNegate={(negate) => onChange({ ...row, negate })} onRemove={onRemove}
      nodeErrors={otherErrors(fields, ['event', 'where', 'window', 'count', 'sum', 'avg', 'min', 'max', 'first', 'last'])}>
      <Space orientation="vertical" size={0}>
        <Space wrap align="start">
          <EventName testid={testid} value={row.event} onChange={(event) => onChange({ ...row, event })} errors={errorsAt(fields, 'event')} />
          <FieldError label={t('builder.mode')}>
            <div data-testid={`${testid}-mode`}>
              <Select value={row.mode} onChange={(mode) => onChange({ ...row, mode })} style={{ width: 170 }} options={eventModes.map((m) => ({ value: m, label: t(`mode.${m}` as MessageKey) }))} />
            </div>
          </FieldError>
          {row.mode === 'count' && (
            <FieldError label={t('builder.count')} errors={errorsAt(fields, 'count')}>
              <Space.Compact>
                <Select value={row.countOp} onChange={(countOp) => onChange({ ...row, countOp })} style={{ width: 80 }} options={countOps.map((op) => ({ value: op, label: t(`op.${op}`) }))} />
                <InputNumber min={0} precision={0} value={row.countValue} onChange={(v) => onChange({ ...row, countValue: v })} style={{ width: 90 }} data-testid={`${testid}-count`} />
              </Space.Compact>
            </FieldError>
          )}
          {agg && (
            <>
              <FieldError label={t('builder.aggProp')} errors={errorsAt(fields, `${row.mode}.prop`)}>
                <div data-testid={`${testid}-agg-prop`}>
                  <AutoComplete value={row.aggProp} options={numericProps} onChange={(aggProp: string) => onChange({ ...row, aggProp })} style={{ width: 140 }} placeholder="amount" />
                </div>
              </FieldError>
              <FieldError label={t('builder.op')} errors={errorsAt(fields, `${row.mode}.op`)}>
                <Select value={row.aggOp} onChange={(aggOp) => onChange({ ...row, aggOp })} style={{ width: 90 }} options={aggregateOps.map((op) => ({ value: op, label: t(`op.${op}`) }))} data-testid={`${testid}-agg-op`} />
              </FieldError>
              <FieldError label={t('builder.value')} errors={errorsAt(fields, `${row.mode}.value`)}>
                <Space>
                  <InputNumber value={row.aggValue} onChange={(aggValue) => onChange({ ...row, aggValue })} style={{ width: 110 }} data-testid={`${testid}-agg-value`} />
                  {row.aggOp === 'between' && <InputNumber value={row.aggValue2} onChange={(aggValue2) => onChange({ ...row, aggValue2 })} style={{ width: 110 }} data-testid={`${testid}-agg-value2`} />}
                </Space>
              </FieldError>
            </>
          )}
          {(row.mode === 'first' || row.mode === 'last') && (
            <ValueEditor
              value={row.time} type="date" chooseType={false} suggestions={[]} testid={`${testid}-time`} ops={timeOps}
              errors={{ op: errorsAt(fields, `${row.mode}.op`), value: errorsAt(fields, `${row.mode}.value`) }}
              onChange={(time) => onChange({ ...row, time })}
            />
          )}
          <WindowEditor value={row.window} onChange={(window) => onChange({ ...row, window })} testid={testid} errors={errorsAt(fields, 'window')} />
        </Space>
        <WhereList event={row.event} rows={row.where} onChange={(where) => onChange({ ...row, where })} testid={testid} nodeKey={row.key} prefix="" />
      </Space>
    </RowFrame>
  );
}

function SequenceConditionRow({ testid, row, onChange, onRemove }: Props<SequenceRow>) {
  const { t } = useI18n();
  const { errors } = useBuilder();
  const fields = errors[row.key];
  const setStep = (i: number, s: SequenceRow['steps'][number]) => onChange({ ...row, steps: row.steps.map((x, j) => (j === i ? s : x)) });
  return (
    <RowFrame testid={testid} kind="sequence" color="gold" negate={row.negate} onNegate={(negate) => onChange({ ...row, negate })} onRemove={onRemove}
      nodeErrors={otherErrors(fields, ['sequence', 'window', 'maxGapHours'])}>
      <Space orientation="vertical" size={4}>
        {row.negate && <Typography.Text type="secondary">{t('builder.sequence.negated')}</Typography.Text>}
        {row.steps.map((s, i) => (
          <Card key={s.key} size="small" data-testid={`${testid}-step-${i}`} title={t('builder.sequence.step', { n: i + 1 })}
            extra={row.steps.length > 1 && <Button type="text" danger size="small" icon={<DeleteOutlined />} onClick={() => onChange({ ...row, steps: row.steps.filter((_, j) => j !== i) })} aria-label={t('builder.remove')} />}>
            <EventName testid={`${testid}-step-${i}`} value={s.event} onChange={(event) => setStep(i, { ...s, event })} errors={errorsAt(fields, `sequence[${i}].event`)} />
            <WhereList event={s.event} rows={s.where} onChange={(where) => setStep(i, { ...s, where })} testid={`${testid}-step-${i}`} nodeKey={row.key} prefix={`sequence[${i}].`} />
          </Card>
        ))}
        <Space wrap align="start">
          <Button icon={<PlusOutlined />} disabled={row.steps.length >= 10} onClick={() => onChange({ ...row, steps: [...row.steps, newStep()] })} style={{ marginTop: 30 }} data-testid={`${testid}-add-step`}>{t('builder.sequence.addStep')}</Button>
          <FieldError label={t('builder.sequence.maxGap')} errors={errorsAt(fields, 'maxGapHours')}>
            <InputNumber min={0} value={row.maxGapHours} onChange={(maxGapHours) => onChange({ ...row, maxGapHours })} placeholder={t('builder.sequence.noLimit')} suffix={t('builder.hours')} style={{ width: 150 }} data-testid={`${testid}-gap`} />
          </FieldError>
          <WindowEditor value={row.window} onChange={(window) => onChange({ ...row, window })} testid={testid} errors={errorsAt(fields, 'window')} />
        </Space>
      </Space>
    </RowFrame>
  );
}

function SegmentRefConditionRow({ testid, row, onChange, onRemove }: Props<SegmentRefRow>) {
  const { t } = useI18n();
  const { segments, errors } = useBuilder();
  const fields = errors[row.key];
  return (
    <RowFrame testid={testid} kind="segment" color="green" negate={row.negate} onNegate={(negate) => onChange({ ...row, negate })} onRemove={onRemove} nodeErrors={otherErrors(fields, ['segment'])}>
      <FieldError label={t('builder.segmentRef')} errors={errorsAt(fields, 'segment')}>
        <div data-testid={`${testid}-segment`}>
          <Select value={row.segment || undefined} onChange={(segment: string) => onChange({ ...row, segment })} showSearch optionFilterProp="label" style={{ width: 280 }}
            options={segments.map((s) => ({ value: s.id, label: `${s.name} (${s.count ?? '—'})` }))} />
        </div>
      </FieldError>
    </RowFrame>
  );
}

/** One leaf of the builder: attribute, behaviour, sequence or segment reference. */
export function ConditionRow(props: Props<LeafNode>) {
  const { row } = props;
  const pass = <R extends LeafNode>(r: R) => ({ ...props, row: r, onChange: (n: R) => props.onChange(n) });
  switch (row.kind) {
    case 'attr': return <AttrConditionRow {...pass(row)} />;
    case 'event': return <EventConditionRow {...pass(row)} />;
    case 'sequence': return <SequenceConditionRow {...pass(row)} />;
    case 'segment': return <SegmentRefConditionRow {...pass(row)} />;
  }
}
