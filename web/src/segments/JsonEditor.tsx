import { Input, Space, Typography } from 'antd';
import type { ErrorDetail } from '../api/client.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { Definition } from './builder-model.ts';
import { DefinitionErrors } from './DefinitionErrors.tsx';
import { FieldError } from './FieldError.tsx';

/** The text as a definition object, or the parse error (`notObject` is translated by the caller). */
export function parseJsonDefinition(text: string): { definition: Definition | null; error: string | null } {
  if (!text.trim()) return { definition: null, error: null };
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { definition: null, error: 'notObject' };
    return { definition: v as Definition, error: null };
  } catch (err) {
    return { definition: null, error: err instanceof Error ? err.message : String(err) };
  }
}

interface Props {
  value: string;
  onChange: (v: string) => void;
  parseError: string | null;
  details: ErrorDetail[];
}

/** The definition as JSON, for experts: read and write; the API validates it and its 400 details show here. */
export function JsonEditor({ value, onChange, parseError, details }: Props) {
  const { t } = useI18n();
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="json-form">
      <Typography.Text type="secondary">{t('json.help')}</Typography.Text>
      <FieldError errors={parseError ? [parseError === 'notObject' ? t('json.notObject') : parseError] : undefined}>
        <Input.TextArea
          value={value} onChange={(e) => onChange(e.target.value)} autoSize={{ minRows: 10, maxRows: 40 }} spellCheck={false}
          style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 12 }} data-testid="json-editor"
        />
      </FieldError>
      <DefinitionErrors details={details} testid="json-errors" />
    </Space>
  );
}
