import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Col, Form, Input, InputNumber, Row, Select, Space, Switch, Typography, type FormInstance } from 'antd';
import type { CouponTemplateSummary, Template } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import type { TaskValues } from './task-form.ts';

interface Props {
  form: FormInstance<TaskValues>;
  templates: Template[];
  templateLabel: (tpl: Template) => string;
  isUsable: (tpl: Template) => boolean;
  /** null: the coupons API is not available in this server. */
  coupons: CouponTemplateSummary[] | null;
}

/** Step 5 of the task wizard: frequency cap, A/B variants with weights, control group, priority and an optional coupon. */
export function CapsStep({ form, templates, templateLabel, isUsable, coupons }: Props) {
  const { t } = useI18n();
  const frequencyOn = Form.useWatch('frequencyOn', form);
  const variants = (Form.useWatch('variants', form) ?? []) as TaskValues['variants'];
  const control = Form.useWatch('controlPercent', form) ?? 0;
  const totalWeight = (variants ?? []).reduce((a, v) => a + (v?.weight ?? 0), 0);

  return (
    <Row gutter={[24, 8]}>
      <Col xs={24} lg={12}>
        <Form.Item name="frequencyOn" label={t('caps.frequency')} valuePropName="checked" extra={t('caps.frequencyHint')}>
          <Switch data-testid="frequency-on" />
        </Form.Item>
        {frequencyOn && (
          <Space wrap>
            <Form.Item name="maxPerUser" label={t('caps.maxPerUser')} rules={[{ required: true, message: t('common.required') }]}>
              <InputNumber min={1} max={1000} precision={0} data-testid="frequency-max" />
            </Form.Item>
            <Form.Item name="perDays" label={t('caps.perDays')} rules={[{ required: true, message: t('common.required') }]}>
              <InputNumber min={1} max={365} precision={0} data-testid="frequency-days" />
            </Form.Item>
          </Space>
        )}
        <Form.Item name="priority" label={t('caps.priority')} extra={t('caps.priorityHint')}>
          <InputNumber min={-1000} max={1000} precision={0} data-testid="task-priority" />
        </Form.Item>
        <Form.Item name="couponTemplateId" label={t('caps.coupon')} extra={coupons === null ? t('caps.couponUnavailable') : t('caps.couponHint')}>
          <Select
            allowClear
            disabled={coupons === null}
            placeholder={t('caps.noCoupon')}
            options={(coupons ?? []).map((c) => ({ value: c.id, label: c.name }))}
            data-testid="task-coupon"
          />
        </Form.Item>
      </Col>
      <Col xs={24} lg={12}>
        <Form.List name="variants">
          {(fields, { add, remove }) => (
            <Form.Item label={t('caps.variants')} extra={t('caps.variantsHint')}>
              {fields.map((f, i) => {
                const w = variants?.[i]?.weight ?? 0;
                const share = totalWeight ? Math.round(((100 - control) * w) / totalWeight) : 0;
                return (
                  <Space key={f.key} align="baseline" wrap style={{ display: 'flex', marginBottom: 4 }} data-testid={`variant-${i}`}>
                    <Form.Item name={[f.name, 'name']} rules={[{ required: true, whitespace: true, message: t('common.required') }]} noStyle>
                      <Input style={{ width: 80 }} placeholder={t('caps.variantName')} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'templateId']} rules={[{ required: true, message: t('common.required') }]} noStyle>
                      <Select style={{ width: 220 }} placeholder={t('tasks.template')} options={templates.map((tpl) => ({ value: tpl.id, label: templateLabel(tpl), disabled: !isUsable(tpl) }))} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'weight']} initialValue={1} noStyle>
                      <InputNumber min={1} max={10_000} precision={0} style={{ width: 90 }} />
                    </Form.Item>
                    <Typography.Text type="secondary">≈ {share}%</Typography.Text>
                    <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('builder.remove')} />
                  </Space>
                );
              })}
              <Button type="dashed" size="small" icon={<PlusOutlined />} onClick={() => add({ name: String.fromCharCode(65 + fields.length), weight: 1, templateId: form.getFieldValue('templateId') as string | undefined })} data-testid="add-variant">
                {t('caps.addVariant')}
              </Button>
            </Form.Item>
          )}
        </Form.List>
        <Form.Item name="controlPercent" label={t('caps.control')} extra={t('caps.controlHint')}>
          <InputNumber min={0} max={100} precision={0} addonAfter="%" data-testid="control-percent" />
        </Form.Item>
        {control > 0 && <Alert type="info" showIcon title={t('caps.controlNote', { percent: control })} />}
      </Col>
    </Row>
  );
}
