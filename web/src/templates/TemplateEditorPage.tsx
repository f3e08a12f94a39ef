import { App, Button, Card, Col, Form, Input, Row, Select, Skeleton, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { channels, type Channel, type Template } from '../api/types.ts';
import { applyApiError, toShownError, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { contentOf, sampleContent, templateFieldOf, valuesOf, type ContentValues } from './content-model.ts';
import { LiquidHelp } from './LiquidHelp.tsx';
import { ReviewPanel } from './ReviewPanel.tsx';
import { ReviewTag, reviewStatusOf } from './ReviewTag.tsx';
import { TemplatePreviewCard } from './TemplatePreviewCard.tsx';

interface EditorValues extends ContentValues {
  name: string;
  channel: Channel;
}

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' } as const;
const isChannel = (c: string | null): c is Channel => !!c && (channels as readonly string[]).includes(c);

/** The content fields of one channel (API.md "Templates and channels"). */
function ChannelFields({ channel }: { channel: Channel }) {
  const { t } = useI18n();
  const req = [{ required: true, whitespace: true, message: t('common.required') }];
  const liquid = <span>{t('templates.bodyHint')} <Typography.Text code>{'{{ "https://…" | track }}'}</Typography.Text></span>;
  const area = (rows: number, testId: string) => <Input.TextArea autoSize={{ minRows: rows, maxRows: 18 }} style={mono} data-testid={testId} />;
  switch (channel) {
    case 'sms':
      return (
        <>
          <Form.Item name="signature" label={t('templates.signature')} extra={t('templates.signatureHint')} rules={[{ required: true, whitespace: true, max: 40, message: t('templates.signatureRule') }]}>
            <Input maxLength={40} data-testid="template-signature" />
          </Form.Item>
          <Form.Item name="body" label={t('templates.body')} extra={liquid} rules={[{ required: true, message: t('common.required') }]}>{area(5, 'template-body')}</Form.Item>
          <Form.Item name="smsKind" label={t('templates.smsKind')} extra={t('templates.smsKindHint')}>
            <Select allowClear placeholder={t('templates.kind.marketing')} style={{ width: 220 }} options={[{ value: 'marketing', label: t('templates.kind.marketing') }, { value: 'transactional', label: t('templates.kind.transactional') }]} data-testid="template-sms-kind" />
          </Form.Item>
        </>
      );
    case 'push':
    case 'inbox':
      return (
        <>
          <Form.Item name="title" label={t('templates.pushTitle')} rules={req}><Input data-testid="template-title" /></Form.Item>
          <Form.Item name="body" label={t('templates.body')} extra={liquid} rules={req}>{area(4, 'template-body')}</Form.Item>
          {channel === 'push'
            ? <Form.Item name="deepLink" label={t('templates.deepLink')}><Input placeholder="app://… / https://…" data-testid="template-deeplink" /></Form.Item>
            : <Form.Item name="url" label={t('templates.url')}><Input data-testid="template-url" /></Form.Item>}
        </>
      );
    case 'email':
      return (
        <>
          <Form.Item name="subject" label={t('templates.subject')} rules={req}><Input data-testid="template-subject" /></Form.Item>
          <Form.Item name="html" label={t('templates.html')} extra={liquid} rules={req}>{area(8, 'template-html')}</Form.Item>
          <Form.Item name="text" label={t('templates.text')}>{area(3, 'template-text')}</Form.Item>
        </>
      );
    case 'wechat':
      return (
        <>
          <Form.Item name="wxTemplateId" label={t('templates.wechatTemplateId')} rules={req}><Input data-testid="template-wx-id" /></Form.Item>
          <Form.Item
            name="wxData"
            label={t('templates.wechatData')}
            rules={[...req, { validator: async (_r, v: string) => { const o = JSON.parse(v || '{}') as unknown; if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(t('templates.jsonRule')); } , message: t('templates.jsonRule') }]}
          >
            {area(6, 'template-wx-data')}
          </Form.Item>
          <Form.Item name="url" label={t('templates.url')}><Input data-testid="template-url" /></Form.Item>
        </>
      );
    case 'webhook':
      return (
        <>
          <Form.Item name="hookUrl" label={t('templates.webhookUrl')} rules={req}><Input data-testid="template-hook-url" /></Form.Item>
          <Form.Item name="hookBody" label={t('templates.webhookBody')} extra={liquid} rules={req}>{area(6, 'template-hook-body')}</Form.Item>
        </>
      );
  }
}

/**
 * A template editor for every channel: content fields, a preview rendered by the API for a
 * chosen user (again after each save), the Liquid variables, and the review flow with versions.
 * Saving changed content makes a new version (in draft when the workspace reviews templates).
 */
export function TemplateEditorPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const id = useParams().id ?? null;
  const [params] = useSearchParams();
  const [form] = Form.useForm<EditorValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [saves, setSaves] = useState(0);
  const loaded = useAsync(async () => (id ? api.get<Template>(`/v1/templates/${id}`) : null), [id]);
  const tpl = loaded.data ?? null;
  const newChannel = isChannel(params.get('channel')) ? (params.get('channel') as Channel) : 'sms';
  const watched = Form.useWatch('channel', form) as Channel | undefined;
  const channel: Channel = tpl?.channel ?? watched ?? newChannel;
  const signature = Form.useWatch('signature', form) ?? '';

  useEffect(() => {
    if (!tpl) return;
    form.setFieldsValue({ name: tpl.name, channel: tpl.channel, ...valuesOf(tpl.channel, tpl.content) });
    setDirty(false);
  }, [tpl, form]);

  const save = async (v: EditorValues) => {
    setBusy(true);
    setError(null);
    try {
      const content = contentOf(channel, v);
      if (id) {
        await api.patch<Template>(`/v1/templates/${id}`, { name: v.name.trim(), content });
        void message.success(t('templates.saved'));
        setDirty(false);
        await loaded.reload();
        setSaves((n) => n + 1);
      } else {
        const created = await api.post<Template>('/v1/templates', { name: v.name.trim(), channel, content });
        void message.success(t('templates.saved'));
        navigate(`/templates/${created.id}`, { replace: true });
      }
    } catch (err) {
      setError(applyApiError(form, err, templateFieldOf(channel)));
    } finally {
      setBusy(false);
    }
  };

  if (id && !tpl) {
    return loaded.error ? <ErrorAlert error={toShownError(loaded.error)} /> : <Skeleton active />;
  }

  return (
    <>
      <div className="page-header">
        <Space wrap>
          <Typography.Title level={3}>
            <Link to="/templates">{t('templates.title')}</Link> / {tpl ? `${tpl.name} (v${tpl.version})` : t('templates.newOf', { channel: t(`channel.${channel}`) })}
          </Typography.Title>
          {tpl && <ReviewTag status={reviewStatusOf(tpl)} />}
        </Space>
      </div>
      <ErrorAlert error={error} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={14}>
          <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
            <Card title={t('templates.content')}>
              <Form<EditorValues>
                form={form}
                layout="vertical"
                requiredMark={false}
                initialValues={{ name: '', channel: newChannel, ...valuesOf(newChannel, sampleContent[newChannel]) }}
                onValuesChange={(changed: Partial<EditorValues>) => {
                  setDirty(true);
                  // A new template's channel switch starts from that channel's sample content.
                  if (changed.channel && !tpl) form.setFieldsValue(valuesOf(changed.channel, sampleContent[changed.channel]));
                }}
                onFinish={(v) => void save(v)}
              >
                <Row gutter={12}>
                  <Col xs={24} md={16}>
                    <Form.Item name="name" label={t('templates.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
                      <Input data-testid="template-name" />
                    </Form.Item>
                  </Col>
                  <Col xs={24} md={8}>
                    <Form.Item name="channel" label={t('templates.channel')}>
                      <Select disabled={!!tpl} options={channels.map((c) => ({ value: c, label: t(`channel.${c}`) }))} data-testid="template-channel" />
                    </Form.Item>
                  </Col>
                </Row>
                <ChannelFields channel={channel} />
                <Button type="primary" htmlType="submit" loading={busy} data-testid="template-save">{t('common.save')}</Button>
              </Form>
            </Card>
            <LiquidHelp />
          </Space>
        </Col>
        <Col xs={24} lg={10}>
          <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
            <TemplatePreviewCard templateId={id} channel={channel} signature={signature} dirty={dirty} savedVersion={saves} />
            {tpl && <ReviewPanel template={tpl} onChanged={() => void loaded.reload()} />}
          </Space>
        </Col>
      </Row>
    </>
  );
}
