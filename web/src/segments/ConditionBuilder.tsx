import { ApartmentOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Checkbox, Divider, Empty, Radio, Space, Typography } from 'antd';
import { Fragment } from 'react';
import { useI18n } from '../i18n/i18n-context.ts';
import {
  errorsAt, newAttrRow, newEventRow, newGroup, newSegmentRow, newSequenceRow,
  type BuilderNode, type BuilderState, type Combinator, type GroupNode,
} from './builder-model.ts';
import { useBuilder } from './builder-context.ts';
import { ConditionRow } from './ConditionRow.tsx';

interface GroupProps {
  group: GroupNode;
  onChange: (next: GroupNode) => void;
  onRemove?: () => void;
  /** `` for the root (its buttons keep the ids add-attr, add-event, …), else `cond-1-0`. */
  testid: string;
  depth: number;
}

/**
 * A group: its children joined by AND (all) or OR (any), optionally negated (NOT: the
 * complement over all users), and groups inside groups to any depth.
 */
function GroupEditor({ group, onChange, onRemove, testid, depth }: GroupProps) {
  const { t } = useI18n();
  const { errors } = useBuilder();
  const root = testid === '';
  const id = (suffix: string) => (root ? suffix : `${testid}-${suffix}`);
  const childId = (i: number) => (root ? `cond-${i}` : `${testid}-${i}`);
  const setChild = (i: number, node: BuilderNode) => onChange({ ...group, children: group.children.map((c, j) => (j === i ? node : c)) });
  const removeChild = (i: number) => onChange({ ...group, children: group.children.filter((_, j) => j !== i) });
  const add = (node: BuilderNode) => onChange({ ...group, children: [...group.children, node] });
  const joiner = group.combinator === 'all' ? t('builder.and') : t('builder.or');
  // The group's own list (`all`/`any` empty or too long) and anything said of the node as a whole.
  const groupErrors = [...errorsAt(errors[group.key], group.combinator), ...(errors[group.key]?.[''] ?? []), ...(errors[group.key]?.['not'] ?? [])];

  return (
    <div
      data-testid={root ? 'condition-builder' : testid} data-kind="group"
      style={root ? undefined : { border: `1px dashed ${group.negate ? '#ff4d4f' : '#bfbfbf'}`, borderRadius: 8, padding: 12, background: depth % 2 ? '#fafafa' : '#fff' }}
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <Checkbox checked={group.negate} onChange={(e) => onChange({ ...group, negate: e.target.checked })} data-testid={id(root ? 'root-not' : 'not')}>{t('builder.not')}</Checkbox>
        <span>{root ? t('builder.match') : t('builder.groupMatch')}</span>
        <Radio.Group
          value={group.combinator}
          onChange={(e) => onChange({ ...group, combinator: e.target.value as Combinator })}
          optionType="button"
          options={[{ value: 'all', label: t('builder.all') }, { value: 'any', label: t('builder.any') }]}
          data-testid={id('combinator')}
        />
        {onRemove && <Button type="link" danger onClick={onRemove} data-testid={id('remove')}>{t('builder.removeGroup')}</Button>}
      </Space>
      {group.children.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('builder.empty')} />}
      {groupErrors.length > 0 && <Typography.Text type="danger">{groupErrors.join(' ')}</Typography.Text>}
      {group.children.map((child, i) => (
        <Fragment key={child.key}>
          {i > 0 && <Divider plain style={{ margin: '4px 0 8px' }}>{joiner}</Divider>}
          {child.kind === 'group'
            ? <GroupEditor group={child} onChange={(g) => setChild(i, g)} onRemove={() => removeChild(i)} testid={childId(i)} depth={depth + 1} />
            : <ConditionRow testid={childId(i)} row={child} onChange={(r) => setChild(i, r)} onRemove={() => removeChild(i)} />}
        </Fragment>
      ))}
      <Space wrap style={{ marginTop: 12 }}>
        <Button icon={<PlusOutlined />} onClick={() => add(newAttrRow())} data-testid={id('add-attr')}>{t('builder.addAttr')}</Button>
        <Button icon={<PlusOutlined />} onClick={() => add(newEventRow())} data-testid={id('add-event')}>{t('builder.addEvent')}</Button>
        <Button icon={<PlusOutlined />} onClick={() => add(newSequenceRow())} data-testid={id('add-sequence')}>{t('builder.addSequence')}</Button>
        <Button icon={<PlusOutlined />} onClick={() => add(newSegmentRow())} data-testid={id('add-segment')}>{t('builder.addSegment')}</Button>
        <Button icon={<ApartmentOutlined />} onClick={() => add(newGroup(group.combinator === 'all' ? 'any' : 'all', [newAttrRow()]))} data-testid={id('add-group')}>{t('builder.addGroup')}</Button>
      </Space>
    </div>
  );
}

interface Props {
  value: BuilderState;
  onChange: (next: BuilderState) => void;
}

/** The whole definition as nested groups of conditions; errors come from the BuilderContext. */
export function ConditionBuilder({ value, onChange }: Props) {
  return <GroupEditor group={value} onChange={onChange} testid="" depth={0} />;
}
