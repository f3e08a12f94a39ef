import { ReloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Descriptions, Form, Input, Row, Select, Skeleton, Space, Statistic, Steps, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { channels, type Campaign, type Catalog, type CouponTemplateSummary, type Page, type Segment, type Task, type Template } from '../api/types.ts';
import { applyApiError, toShownError, type ShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { useMe } from '../layout/me-context.ts';
import { ReviewTag, reviewStatusOf } from '../templates/ReviewTag.tsx';
import { CapsStep } from './CapsStep.tsx';
import { ScheduleStep } from './ScheduleStep.tsx';
import { SchedulePreview } from './SchedulePreview.tsx';
import { scheduleOf, stepFields, stepOfField, taskBody, taskFieldOf, wizardSteps, type TaskValues } from './task-form.ts';

/**
 * The task wizard: channel → template (only approved ones when the workspace reviews
 * templates) → audience with its count → schedule with the server's summary and next runs →
 * caps, variants, control group, priority and coupon. One form across the steps; the server's
 * field errors reopen the step that holds the field.
 */
export function TaskWizardPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const campaignId = useParams().id ?? '';
  const reviewRequired = useMe().me.workspace.requireTemplateReview;
  const [form] = Form.useForm<TaskValues>();
  const [step, setStep] = useState(0);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const channel = Form.useWatch('channel', form) ?? 'sms';
  const segmentId = Form.useWatch('segmentId', form);
  const templateId = Form.useWatch('templateId', form);

  const campaign = useAsync(() => api.get<Campaign>(`/v1/campaigns/${campaignId}`), [campaignId]);
  const templates = useAsync(() => api.get<Page<Template>>(`/v1/templates?channel=${channel}&limit=500`), [channel]);
  const segments = useAsync(() => api.get<Page<Segment>>('/v1/segments?limit=500'), []);
  const segment = useAsync(async () => (segmentId ? api.get<Segment>(`/v1/segments/${segmentId}`) : null), [segmentId]);
  const catalog = useAsync(() => api.get<Catalog>('/v1/catalog'), []);
  // The coupons API may not exist on this server yet: then the field is disabled, not an error.
  const coupons = useAsync(() => api.get<Page<CouponTemplateSummary>>('/v1/coupon-templates?limit=500').then((p) => p.items, () => null), []);

  const templateList = templates.data?.items ?? [];
  const isUsable = (tpl: Template) => !reviewRequired || (tpl.approvedVersion ?? null) !== null;
  const templateLabel = (tpl: Template) => (reviewRequired && tpl.approvedVersion ? `${tpl.name} (v${tpl.approvedVersion})` : `${tpl.name} (v${tpl.version})`);
  const chosenTemplate = useMemo(() => templateList.find((x) => x.id === templateId), [templateList, templateId]);

  const next = async () => {
    try {
      await form.validateFields(stepFields[wizardSteps[step]!]);
      setStep((s) => Math.min(s + 1, wizardSteps.length - 1));
    } catch {
      // antd shows the field errors
    }
  };

  const create = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    // Every step's values, also those of steps not on screen now.
    const v = form.getFieldsValue(true) as TaskValues;
    if (!v.segmentId && v.scheduleType !== 'trigger') {
      form.setFields([{ name: 'segmentId', errors: [t('wizard.segmentRequired')] }]);
      setStep(wizardSteps.indexOf('audience'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post<Task>(`/v1/campaigns/${campaignId}/tasks`, taskBody(v));
      void message.success(t('wizard.created'));
      navigate(`/campaigns/${campaignId}`);
    } catch (err) {
      const shown = applyApiError(form, err, taskFieldOf);
      setError(shown);
      const first = form.getFieldsError().find((f) => f.errors.length > 0);
      if (first) setStep(wizardSteps.indexOf(stepOfField(first.name)));
    } finally {
      setBusy(false);
    }
  };

  if (!campaign.data) return campaign.error ? <ErrorAlert error={toShownError(campaign.error)} /> : <Skeleton active />;
  const current = wizardSteps[step]!;
  const show = (s: (typeof wizardSteps)[number]) => ({ style: current === s ? undefined : { display: 'none' } });
  const values = form.getFieldsValue(true) as Partial<TaskValues>;

  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}>
          <Link to="/campaigns">{t('campaigns.title')}</Link> / <Link to={`/campaigns/${campaignId}`}>{campaign.data.name}</Link> / {t('tasks.add')}
        </Typography.Title>
      </div>
      <Card>
        <Steps current={step} onChange={(s) => { if (s < step) setStep(s); }} style={{ marginBottom: 24 }} items={wizardSteps.map((s) => ({ title: t(`wizard.step.${s}`) }))} data-testid="wizard-steps" />
        <ErrorAlert error={error} />
        <Form<TaskValues>
          form={form}
          layout="vertical"
          requiredMark={false}
          initialValues={{ channel: 'sms', scheduleType: 'now', frequencyOn: false, maxPerUser: 1, perDays: 7, cron: '0 9 * * 1', controlPercent: 0, priority: 0 }}
          onValuesChange={(changed: Partial<TaskValues>) => {
            if ('channel' in changed) form.setFieldsValue({ templateId: undefined, variants: [] });
          }}
        >
          <div {...show('basics')} data-step="basics">
            <Form.Item name="name" label={t('tasks.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]} style={{ maxWidth: 480 }}>
              <Input data-testid="task-name" />
            </Form.Item>
            <Form.Item name="channel" label={t('tasks.channel')}>
              <Select style={{ maxWidth: 240 }} options={channels.map((c) => ({ value: c, label: t(`channel.${c}`) }))} data-testid="task-channel" />
            </Form.Item>
          </div>

          <div {...show('template')} data-step="template">
            {reviewRequired && <Typography.Paragraph type="secondary">{t('wizard.reviewRequired')}</Typography.Paragraph>}
            <Form.Item name="templateId" label={t('tasks.template')} rules={[{ required: true, message: t('common.required') }]} style={{ maxWidth: 560 }}>
              <Select
                showSearch={{ optionFilterProp: 'label' }}
                loading={templates.loading}
                options={templateList.map((tpl) => ({ value: tpl.id, label: templateLabel(tpl), disabled: !isUsable(tpl) }))}
                data-testid="task-template"
              />
            </Form.Item>
            {chosenTemplate && (
              <Card size="small" title={<Space>{chosenTemplate.name}<ReviewTag status={reviewStatusOf(chosenTemplate)} /></Space>} extra={<Link to={`/templates/${chosenTemplate.id}`} target="_blank">{t('wizard.openTemplate')}</Link>} style={{ maxWidth: 560 }}>
                <pre style={{ whiteSpace: 'pre-wrap', margin: 0, fontSize: 12 }}>{JSON.stringify(chosenTemplate.content, null, 2)}</pre>
              </Card>
            )}
            {templates.data && templateList.length === 0 && <Typography.Text type="secondary">{t('wizard.noTemplates')} <Link to={`/templates/new?channel=${channel}`}>{t('templates.new')}</Link></Typography.Text>}
          </div>

          <div {...show('audience')} data-step="audience">
            <Row gutter={24}>
              <Col xs={24} lg={14}>
                <Form.Item name="segmentId" label={t('tasks.segment')} extra={t('wizard.segmentHint')}>
                  <Select
                    allowClear
                    showSearch={{ optionFilterProp: 'label' }}
                    loading={segments.loading}
                    options={(segments.data?.items ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.count ?? '…'})` }))}
                    data-testid="task-segment"
                  />
                </Form.Item>
              </Col>
              <Col xs={24} lg={10}>
                <Card size="small" title={t('wizard.audienceCount')} extra={segmentId && <Button size="small" icon={<ReloadOutlined />} onClick={() => void segment.reload()} aria-label={t('common.retry')} />}>
                  <div data-testid="audience-count" data-state={segment.data ? segment.data.status : 'empty'}>
                    <Statistic value={segment.data?.count ?? '—'} suffix={segment.data ? t('segments.usersUnit') : undefined} loading={segment.loading && !!segmentId} />
                  </div>
                  {segment.data && <Typography.Text type="secondary">{t(`segmentStatus.${segment.data.status}`)} · {t(`refresh.${segment.data.refresh}`)} · {formatTime(segment.data.computedAt, lang)}</Typography.Text>}
                  {segment.data?.refresh === 'daily' && <div><Typography.Text type="secondary">{t('wizard.dailyFresh')}</Typography.Text></div>}
                </Card>
              </Col>
            </Row>
          </div>

          <div {...show('schedule')} data-step="schedule">
            {current === 'schedule' && <ScheduleStep form={form} catalog={catalog.data} />}
          </div>

          <div {...show('caps')} data-step="caps">
            <CapsStep form={form} templates={templateList} templateLabel={templateLabel} isUsable={isUsable} coupons={coupons.data === undefined ? [] : coupons.data} />
            <Card size="small" title={t('wizard.summary')} style={{ marginTop: 8 }}>
              <Descriptions size="small" column={{ xs: 1, md: 2 }} items={[
                { key: 'name', label: t('tasks.name'), children: values.name ?? '—' },
                { key: 'channel', label: t('tasks.channel'), children: values.channel ? <Tag>{t(`channel.${values.channel}`)}</Tag> : '—' },
                { key: 'template', label: t('tasks.template'), children: chosenTemplate ? templateLabel(chosenTemplate) : '—' },
                { key: 'segment', label: t('tasks.segment'), children: segment.data ? `${segment.data.name} (${segment.data.count ?? '…'})` : '—' },
                { key: 'schedule', label: t('tasks.schedule'), children: current === 'caps' ? <SchedulePreview schedule={scheduleOf(values)} compact /> : null },
              ]} />
            </Card>
          </div>
        </Form>
        <Space style={{ marginTop: 24 }}>
          {step > 0 && <Button onClick={() => setStep(step - 1)} data-testid="wizard-back">{t('wizard.back')}</Button>}
          {step < wizardSteps.length - 1 && <Button type="primary" onClick={() => void next()} data-testid="wizard-next">{t('wizard.next')}</Button>}
          {step === wizardSteps.length - 1 && <Button type="primary" loading={busy} onClick={() => void create()} data-testid="task-create">{t('tasks.create')}</Button>}
          <Button type="link" onClick={() => navigate(`/campaigns/${campaignId}`)}>{t('common.cancel')}</Button>
        </Space>
      </Card>
    </>
  );
}
