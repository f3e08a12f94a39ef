import { Button, Card, Col, Form, Input, Radio, Row, Space, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ApiError, api } from '../api/client.ts';
import type { RefreshMode, Segment } from '../api/types.ts';
import { applyApiError, parseDetailPath, toShownError, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useI18n } from '../i18n/i18n-context.ts';
import { newAttrRow, rowFieldOf, toDefinition, type BuilderState } from './builder-model.ts';
import { addRowError, ConditionBuilder, type BuilderErrors } from './ConditionBuilder.tsx';
import { LiveCount } from './LiveCount.tsx';
import { useLivePreview } from './use-live-preview.ts';

interface SegmentValues {
  name: string;
  refresh: RefreshMode;
}

/** API details about the definition → messages on the builder's rows. */
function builderErrorsOf(err: unknown): BuilderErrors {
  let errors: BuilderErrors = {};
  if (!(err instanceof ApiError)) return errors;
  for (const d of err.details) {
    const at = rowFieldOf(parseDetailPath(d.path));
    if (at) errors = addRowError(errors, at.row, at.field, d.message);
  }
  return errors;
}

/** New segment: name, refresh mode and the condition builder, with a live count. */
export function SegmentCreatePage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<SegmentValues>();
  const [builder, setBuilder] = useState<BuilderState>(() => ({ combinator: 'all', rows: [newAttrRow()] }));
  const [submitErrors, setSubmitErrors] = useState<BuilderErrors>({});
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);

  const { definition, problems } = useMemo(() => toDefinition(builder), [builder]);
  const live = useLivePreview(definition);

  // Local problems show once the operator tried to save; API answers (preview or save) always.
  const rowErrors = useMemo(() => {
    let errors: BuilderErrors = { ...submitErrors };
    if (touched) for (const p of problems) errors = addRowError(errors, p.row, p.field, t(`builder.problem.${p.reason}`));
    if (live.state === 'error') {
      for (const [row, fields] of Object.entries(builderErrorsOf(live.error))) {
        for (const [field, msgs] of Object.entries(fields)) for (const m of msgs ?? []) errors = addRowError(errors, Number(row), field as keyof typeof fields, m);
      }
    }
    return errors;
  }, [submitErrors, touched, problems, live.state, live.error, t]);

  const change = (next: BuilderState) => {
    setBuilder(next);
    setSubmitErrors({});
  };

  const save = async (v: SegmentValues) => {
    setTouched(true);
    setError(null);
    if (!definition) {
      setError({ message: builder.rows.length === 0 ? t('builder.empty') : t('segments.fixConditions'), unmatched: [] });
      return;
    }
    setBusy(true);
    try {
      const seg = await api.post<Segment>('/v1/segments', { name: v.name.trim(), refresh: v.refresh, definition });
      navigate(`/segments/${seg.id}`);
    } catch (err) {
      const shown = applyApiError(form, err, (path) => (path[0] === 'name' || path[0] === 'refresh' ? [path[0]] : null));
      setSubmitErrors(builderErrorsOf(err));
      setError({ message: shown.message, unmatched: shown.unmatched.filter((d) => !rowFieldOf(parseDetailPath(d.path))) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}><Link to="/segments">{t('segments.title')}</Link> / {t('segments.new')}</Typography.Title>
      </div>
      <ErrorAlert error={error} />
      <Form form={form} layout="vertical" initialValues={{ refresh: 'once' }} onFinish={(v) => void save(v)} onFinishFailed={() => setTouched(true)} requiredMark={false}>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={17}>
            <Card>
              <Space wrap size="large" align="start">
                <Form.Item name="name" label={t('segments.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]} style={{ minWidth: 280 }}>
                  <Input data-testid="segment-name" />
                </Form.Item>
                <Form.Item name="refresh" label={t('segments.refresh')}>
                  <Radio.Group optionType="button" options={[{ value: 'once', label: t('refresh.once') }, { value: 'manual', label: t('refresh.manual') }]} />
                </Form.Item>
              </Space>
              <ConditionBuilder value={builder} onChange={change} errors={rowErrors} />
            </Card>
          </Col>
          <Col xs={24} xl={7}>
            <Space orientation="vertical" style={{ width: '100%' }}>
              <LiveCount preview={live.preview} state={live.state} error={live.error ? toShownError(live.error).message : null} />
              <Button type="primary" htmlType="submit" block loading={busy} data-testid="segment-save">{t('segments.save')}</Button>
            </Space>
          </Col>
        </Row>
      </Form>
    </>
  );
}
