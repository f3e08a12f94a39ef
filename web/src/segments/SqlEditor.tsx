import { Alert, Input, InputNumber, Space, Typography } from 'antd';
import { useI18n } from '../i18n/i18n-context.ts';
import type { Definition } from './builder-model.ts';
import { FieldError } from './FieldError.tsx';

export interface SqlValue {
  sql: string;
  timeoutSeconds: number | null;
}

export function sqlDefinition(v: SqlValue): Definition | null {
  if (!v.sql.trim()) return null;
  return v.timeoutSeconds ? { sql: v.sql, timeoutSeconds: v.timeoutSeconds } : { sql: v.sql };
}

interface Props {
  value: SqlValue;
  onChange: (v: SqlValue) => void;
  errors: { sql: string[]; timeoutSeconds: string[] };
  /** Roles without the export right cannot preview or save SQL (the API answers 403). */
  allowed: boolean;
}

/** An analyst's query: its first column is read as externalIds; runs read-only in a sandbox (docs/segments.md). */
export function SqlEditor({ value, onChange, errors, allowed }: Props) {
  const { t } = useI18n();
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="sql-form">
      {!allowed && <Alert type="warning" showIcon title={t('sql.notAllowed')} />}
      <Typography.Text type="secondary">{t('sql.help')}</Typography.Text>
      <FieldError label={t('sql.query')} errors={errors.sql}>
        <Input.TextArea
          value={value.sql} onChange={(e) => onChange({ ...value, sql: e.target.value })} autoSize={{ minRows: 6, maxRows: 24 }} spellCheck={false}
          style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 13 }} data-testid="sql-editor"
          placeholder="SELECT external_id FROM users WHERE attributes->>'city' = 'Guangzhou'"
        />
      </FieldError>
      <FieldError label={t('sql.timeout')} errors={errors.timeoutSeconds}>
        <InputNumber min={1} max={600} precision={0} value={value.timeoutSeconds} onChange={(timeoutSeconds) => onChange({ ...value, timeoutSeconds })} placeholder="60" suffix="s" style={{ width: 140 }} data-testid="sql-timeout" />
      </FieldError>
    </Space>
  );
}
