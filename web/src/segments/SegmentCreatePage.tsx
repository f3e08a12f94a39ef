import { Button, Card, Col, Form, Input, Radio, Row, Space, Tabs, TimePicker, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError, api, type ErrorDetail } from '../api/client.ts';
import type { RefreshMode } from '../api/types.ts';
import { applyApiError, parseDetailPath, toShownError, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';
import { addNodeError, fromDefinition, locate, newAttrRow, newGroup, toDefinition, type BuilderState, type Definition, type NodeErrors } from './builder-model.ts';
import { BuilderContext } from './builder-context.ts';
import { ConditionBuilder } from './ConditionBuilder.tsx';
import { DefinitionErrors } from './DefinitionErrors.tsx';
import { JsonEditor, parseJsonDefinition } from './JsonEditor.tsx';
import { ListUpload } from './ListUpload.tsx';
import { LiveCount } from './LiveCount.tsx';
import { lookalikeDefinition, LookalikeForm, type LookalikeValue } from './LookalikeForm.tsx';
import { canExport, useCatalog, useSegmentList, type SegmentFull } from './segment-api.ts';
import { emptySets, SetOperationForm, setsDefinition, type SetsValue } from './SetOperationForm.tsx';
import { SqlEditor, sqlDefinition, type SqlValue } from './SqlEditor.tsx';
import { useLivePreview } from './use-live-preview.ts';

type Mode = 'builder' | 'sets' | 'lookalike' | 'list' | 'sql' | 'json';

interface SegmentValues {
  name: string;
  refresh: RefreshMode;
  refreshAt?: Dayjs | null;
}

const isDefinitionPath = (d: ErrorDetail) => parseDetailPath(d.path)[0] === 'definition';

/**
 * New segment: name, refresh, and the definition built one of six ways (conditions, set
 * operations, lookalike, list, SQL, JSON), with a live count. Every 400 detail lands next to the
 * field it names: builder nodes by their JSON path, name/refresh on the form, the rest listed
 * beside the editor of that mode.
 */
export function SegmentCreatePage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { me } = useMe();
  const [form] = Form.useForm<SegmentValues>();
  const refresh = Form.useWatch('refresh', form);
  const catalogState = useCatalog();
  const segments = useSegmentList();
  const [mode, setMode] = useState<Mode>('builder');
  const [builder, setBuilder] = useState<BuilderState>(() => newGroup('all', [newAttrRow()]));
  const [json, setJson] = useState('');
  const [jsonNote, setJsonNote] = useState<string | null>(null);
  const [sets, setSets] = useState<SetsValue>(emptySets);
  const [look, setLook] = useState<LookalikeValue>({ segment: '', size: 1000 });
  const [sql, setSql] = useState<SqlValue>({ sql: '', timeoutSeconds: null });
  const [submitDetails, setSubmitDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  // `?edit=<id>`: the same page edits a saved segment (PATCH), opened in the mode that can show it.
  const editId = useSearchParams()[0].get('edit');
  const [editing, setEditing] = useState<SegmentFull | null>(null);

  useEffect(() => {
    if (!editId) return;
    api.get<SegmentFull>(`/v1/segments/${editId}`).then((seg) => {
      setEditing(seg);
      form.setFieldsValue({ name: seg.name, refresh: seg.refresh, refreshAt: dayjs(seg.refreshAt || '02:00', 'HH:mm') });
      const d = seg.definition as Definition;
      if (seg.kind === 'sql' && typeof d.sql === 'string') {
        setSql({ sql: d.sql, timeoutSeconds: typeof d.timeoutSeconds === 'number' ? d.timeoutSeconds : null });
        setMode('sql');
        return;
      }
      const look = d.lookalike as { segment?: string; size?: number } | undefined;
      if (look && typeof look.segment === 'string') {
        setLook({ segment: look.segment, size: look.size ?? null });
        setMode('lookalike');
        return;
      }
      const tree = fromDefinition(d);
      if (tree) {
        setBuilder(tree);
        setMode('builder');
      } else {
        setJson(JSON.stringify(d, null, 2));
        setMode('json');
      }
    }, (err: unknown) => setError(toShownError(err)));
  }, [editId, form]);

  const written = useMemo(() => toDefinition(builder, catalogState.types), [builder, catalogState.types]);
  const parsedJson = useMemo(() => parseJsonDefinition(json), [json]);
  const definition: Definition | null = mode === 'builder' ? written.definition
    : mode === 'json' ? parsedJson.definition
    : mode === 'sets' ? setsDefinition(sets)
    : mode === 'lookalike' ? lookalikeDefinition(look)
    : mode === 'sql' ? sqlDefinition(sql)
    : null;
  const live = useLivePreview(definition, mode === 'sql' ? 1200 : 400);

  // The API's details about the definition: from the live preview and from the last save.
  const apiDetails = useMemo(() => {
    const fromLive = live.state === 'error' && live.error instanceof ApiError ? live.error.details : [];
    return [...submitDetails, ...fromLive].filter(isDefinitionPath);
  }, [submitDetails, live.state, live.error]);

  // Builder: local problems once the operator tried to save; API answers always, on their node.
  const { nodeErrors, unplaced } = useMemo(() => {
    let errors: NodeErrors = {};
    const rest: ErrorDetail[] = [];
    if (touched) for (const p of written.problems) errors = addNodeError(errors, p.node, p.field, t(`builder.problem.${p.reason}`));
    for (const d of apiDetails) {
      const at = mode === 'builder' ? locate(parseDetailPath(d.path), written.paths) : null;
      if (at) errors = addNodeError(errors, at.node, at.field, d.message);
      else rest.push(d);
    }
    return { nodeErrors: errors, unplaced: rest };
  }, [touched, written, apiDetails, mode, t]);

  const pathErrors = (prefix: string) => apiDetails.filter((d) => d.path === prefix || d.path.startsWith(`${prefix}.`) || d.path.startsWith(`${prefix}[`)).map((d) => d.message);

  const switchMode = (next: Mode) => {
    setSubmitDetails([]);
    setJsonNote(null);
    if (next === 'json' && mode !== 'json') {
      const current = mode === 'builder' ? written.raw : definition;
      if (current) setJson(JSON.stringify(current, null, 2));
    }
    if (next === 'builder' && mode === 'json' && parsedJson.definition) {
      const tree = fromDefinition(parsedJson.definition);
      if (!tree) {
        setJsonNote(t('json.notBuilderShape'));
        return;
      }
      setBuilder(tree);
    }
    setMode(next);
  };

  const save = async (v: SegmentValues) => {
    setTouched(true);
    setError(null);
    if (!definition) {
      setError({ message: mode === 'json' && parsedJson.error ? (parsedJson.error === 'notObject' ? t('json.notObject') : parsedJson.error) : t('segments.fixConditions'), unmatched: [] });
      return;
    }
    setBusy(true);
    try {
      const body = { name: v.name.trim(), refresh: v.refresh, definition, ...(v.refresh === 'daily' && v.refreshAt ? { refreshAt: v.refreshAt.format('HH:mm') } : {}) };
      const seg = editing ? await api.patch<SegmentFull>(`/v1/segments/${editing.id}`, body) : await api.post<SegmentFull>('/v1/segments', body);
      navigate(`/segments/${seg.id}`);
    } catch (err) {
      const shown = applyApiError(form, err, (path) => (path[0] === 'name' || path[0] === 'refresh' || path[0] === 'refreshAt' ? [path[0]] : null));
      const details = err instanceof ApiError ? err.details : [];
      setSubmitDetails(details);
      setError({ message: shown.message, unmatched: shown.unmatched.filter((d) => !isDefinitionPath(d)) });
    } finally {
      setBusy(false);
    }
  };

  const defForm = (
    <Tabs
      activeKey={mode} onChange={(k) => switchMode(k as Mode)} data-testid="segment-mode"
      items={[
        { key: 'builder', label: <span data-testid="mode-builder">{t('segments.mode.builder')}</span>, children: (
          <>
            <ConditionBuilder value={builder} onChange={(next) => { setBuilder(next); setSubmitDetails([]); }} />
            <DefinitionErrors details={unplaced} testid="builder-errors" />
          </>
        ) },
        { key: 'sets', label: <span data-testid="mode-sets">{t('segments.mode.sets')}</span>, children: <SetOperationForm value={sets} onChange={setSets} segments={segments} errors={apiDetails.map((d) => d.message)} /> },
        { key: 'lookalike', label: <span data-testid="mode-lookalike">{t('segments.mode.lookalike')}</span>, children: (
          <LookalikeForm value={look} onChange={setLook} segments={segments}
            errors={{ segment: pathErrors('definition.lookalike.segment'), size: [...pathErrors('definition.lookalike.size'), ...apiDetails.filter((d) => !d.path.startsWith('definition.lookalike.')).map((d) => `${d.path}: ${d.message}`)] }} />
        ) },
        ...(editing ? [] : [{ key: 'list', label: <span data-testid="mode-list">{t('segments.mode.list')}</span>, children: <ListUpload /> }]),
        { key: 'sql', label: <span data-testid="mode-sql">{t('segments.mode.sql')}</span>, children: (
          <SqlEditor value={sql} onChange={setSql} allowed={canExport(me.role)}
            errors={{ sql: [...pathErrors('definition.sql'), ...(live.state === 'error' && !(live.error instanceof ApiError && live.error.details.length) ? [toShownError(live.error).message] : []), ...apiDetails.filter((d) => d.path === 'definition').map((d) => d.message)], timeoutSeconds: pathErrors('definition.timeoutSeconds') }} />
        ) },
        { key: 'json', label: <span data-testid="mode-json">{t('segments.mode.json')}</span>, children: (
          <>
            {jsonNote && <Typography.Text type="warning" data-testid="json-note">{jsonNote}</Typography.Text>}
            <JsonEditor value={json} onChange={(v) => { setJson(v); setSubmitDetails([]); }} parseError={parsedJson.error} details={apiDetails} />
          </>
        ) },
      ]}
    />
  );

  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}>
          <Link to="/segments">{t('segments.title')}</Link> / {editing ? <><Link to={`/segments/${editing.id}`}>{editing.name}</Link> / {t('segments.edit')}</> : t('segments.new')}
        </Typography.Title>
      </div>
      <ErrorAlert error={error} />
      <Form form={form} layout="vertical" initialValues={{ refresh: 'once', refreshAt: dayjs('02:00', 'HH:mm') }} onFinish={(v) => void save(v)} onFinishFailed={() => setTouched(true)} requiredMark={false}>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={17}>
            <Card>
              {mode !== 'list' && (
                <Space wrap size="large" align="start">
                  <Form.Item name="name" label={t('segments.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]} style={{ minWidth: 280 }}>
                    <Input data-testid="segment-name" />
                  </Form.Item>
                  <Form.Item name="refresh" label={t('segments.refresh')}>
                    <Radio.Group optionType="button" data-testid="segment-refresh-mode"
                      options={[{ value: 'once', label: t('refresh.once') }, { value: 'daily', label: t('refresh.daily') }, { value: 'manual', label: t('refresh.manual') }]} />
                  </Form.Item>
                  {refresh === 'daily' && (
                    <Form.Item name="refreshAt" label={t('segments.refreshAt')} extra={t('segments.refreshAtHelp')}>
                      <TimePicker format="HH:mm" minuteStep={5} data-testid="segment-refresh-at" />
                    </Form.Item>
                  )}
                </Space>
              )}
              <BuilderContext.Provider value={{ ...catalogState, segments, errors: nodeErrors }}>
                {defForm}
              </BuilderContext.Provider>
            </Card>
          </Col>
          {mode !== 'list' && (
            <Col xs={24} xl={7}>
              <Space orientation="vertical" style={{ width: '100%' }}>
                <LiveCount preview={live.preview} state={live.state} error={live.error ? toShownError(live.error).message : null} />
                <Button type="primary" htmlType="submit" block loading={busy} data-testid="segment-save">{editing ? t('segments.saveChanges') : t('segments.save')}</Button>
              </Space>
            </Col>
          )}
        </Row>
      </Form>
    </>
  );
}
