import { DeleteOutlined, FilterOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Space } from 'antd';
import { useI18n } from '../i18n/i18n-context.ts';
import { errorsAt, newWhereRow, typeOfProp, type WhereRow } from './builder-model.ts';
import { useBuilder } from './builder-context.ts';
import { FieldError } from './FieldError.tsx';
import { ValueEditor } from './ValueEditor.tsx';

interface Props {
  event: string;
  rows: WhereRow[];
  onChange: (rows: WhereRow[]) => void;
  testid: string;
  nodeKey: string;
  /** API path prefix of these filters below the node (`` or `sequence[1].`). */
  prefix: string;
}

/** `where` filters on the event's properties, typed by the catalog (same operators as attributes). */
export function WhereList({ event, rows, onChange, testid, nodeKey, prefix }: Props) {
  const { t } = useI18n();
  const { catalog, types, errors } = useBuilder();
  const fields = errors[nodeKey];
  const props = catalog.events.find((e) => e.name === event.trim())?.properties ?? [];
  const set = (i: number, r: WhereRow) => onChange(rows.map((x, j) => (j === i ? r : x)));
  return (
    <div style={{ paddingLeft: 16 }}>
      {rows.map((r, i) => {
        const at = `${prefix}where[${i}]`;
        const id = `${testid}-where-${i}`;
        return (
          <Space key={r.key} wrap align="start" data-testid={id}>
            <FieldError label={t('builder.prop')} errors={errorsAt(fields, `${at}.prop`)}>
              <div data-testid={`${id}-prop`}>
                <AutoComplete value={r.prop} options={props.map((p) => ({ value: p.name, label: `${p.name} · ${t(`valueType.${p.type}`)}` }))} onChange={(prop: string) => set(i, { ...r, prop })} style={{ width: 160 }} placeholder="amount" />
              </div>
            </FieldError>
            <ValueEditor
              value={r} type={typeOfProp(event, r, types)} chooseType={!types.prop(event.trim(), r.prop.trim())} suggestions={[]} testid={id}
              errors={{ op: errorsAt(fields, `${at}.op`), value: errorsAt(fields, `${at}.value`) }}
              onChange={(v) => set(i, { ...r, ...v })}
            />
            <Button type="text" danger icon={<DeleteOutlined />} onClick={() => onChange(rows.filter((_, j) => j !== i))} aria-label={t('builder.remove')} style={{ marginTop: 30 }} />
          </Space>
        );
      })}
      <Button size="small" type="dashed" icon={<FilterOutlined />} onClick={() => onChange([...rows, newWhereRow()])} data-testid={`${testid}-add-where`}>{t('builder.addWhere')}</Button>
    </div>
  );
}
