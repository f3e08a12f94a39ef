import { App, Button, Card, Col, Form, Input, Row, Skeleton, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { SmsContent, Template } from '../api/types.ts';
import { applyApiError, toShownError, type FieldPath, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { TemplatePreviewCard } from './TemplatePreviewCard.tsx';

interface SmsValues {
  name: string;
  signature: string;
  body: string;
}

/** `content.body` → `body`; a Liquid parse error (`content`) lands on the body too. */
function smsFieldOf(path: FieldPath): FieldPath | null {
  if (path[0] === 'name') return ['name'];
  if (path[0] === 'content') return [path[1] === 'signature' ? 'signature' : 'body'];
  return null;
}

const sampleBody = 'Hi {{ user.name | default: "there" }}, 20% off today: {{ "https://shop.example/sale" | track }} Reply TD to opt out';

/** SMS template editor (create / change) with a rendered preview for a chosen user. */
export function TemplateEditorPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const id = useParams().id ?? null;
  const [form] = Form.useForm<SmsValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const [dirty, setDirty] = useState(false);
  const loaded = useAsync(async () => (id ? api.get<Template>(`/v1/templates/${id}`) : null), [id]);
  const tpl = loaded.data ?? null;
  const signature = Form.useWatch('signature', form) ?? '';

  useEffect(() => {
    if (!tpl) return;
    const c = tpl.content as Partial<SmsContent>;
    form.setFieldsValue({ name: tpl.name, signature: c.signature ?? '', body: c.body ?? '' });
    setDirty(false);
  }, [tpl, form]);

  const save = async (v: SmsValues) => {
    setBusy(true);
    setError(null);
    const content: SmsContent = { signature: v.signature.trim(), body: v.body };
    try {
      if (id) {
        await api.patch<Template>(`/v1/templates/${id}`, { name: v.name.trim(), content });
        void message.success(t('templates.saved'));
        setDirty(false);
        await loaded.reload();
      } else {
        const created = await api.post<Template>('/v1/templates', { name: v.name.trim(), channel: 'sms', content });
        void message.success(t('templates.saved'));
        navigate(`/templates/${created.id}`, { replace: true });
      }
    } catch (err) {
      setError(applyApiError(form, err, smsFieldOf));
    } finally {
      setBusy(false);
    }
  };

  if (id && !tpl) {
    return loaded.error ? <ErrorAlert error={toShownError(loaded.error)} /> : <Skeleton active />;
  }
  const notSms = tpl && tpl.channel !== 'sms';

  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}><Link to="/templates">{t('templates.title')}</Link> / {tpl ? `${tpl.name} (v${tpl.version})` : t('templates.newSms')}</Typography.Title>
      </div>
      <ErrorAlert error={error} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={14}>
          <Card title={t('templates.editor')}>
            {notSms ? (
              <>
                <Typography.Paragraph type="secondary">{t('templates.onlySms')}</Typography.Paragraph>
                <pre style={{ whiteSpace: 'pre-wrap', fontSize: 12 }}>{JSON.stringify(tpl.content, null, 2)}</pre>
              </>
            ) : (
              <Form form={form} layout="vertical" requiredMark={false} initialValues={{ name: '', signature: '', body: sampleBody }} onValuesChange={() => setDirty(true)} onFinish={(v) => void save(v)}>
                <Form.Item name="name" label={t('templates.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
                  <Input data-testid="template-name" />
                </Form.Item>
                <Form.Item name="signature" label={t('templates.signature')} extra={t('templates.signatureHint')} rules={[{ required: true, whitespace: true, max: 40, message: t('templates.signatureRule') }]}>
                  <Input maxLength={40} data-testid="template-signature" />
                </Form.Item>
                <Form.Item name="body" label={t('templates.body')} extra={<span>{t('templates.bodyHint')} <Typography.Text code>{'{{ "https://…" | track }}'}</Typography.Text></span>} rules={[{ required: true, message: t('common.required') }]}>
                  <Input.TextArea autoSize={{ minRows: 5, maxRows: 14 }} style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' }} data-testid="template-body" />
                </Form.Item>
                <Button type="primary" htmlType="submit" loading={busy} data-testid="template-save">{t('common.save')}</Button>
              </Form>
            )}
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <TemplatePreviewCard templateId={id} signature={signature} dirty={dirty} />
        </Col>
      </Row>
    </>
  );
}
