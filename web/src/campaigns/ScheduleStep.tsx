import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Col, DatePicker, Form, Input, InputNumber, Radio, Row, Select, Space, type FormInstance } from 'antd';
import type { Catalog } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { CronBuilder } from './CronBuilder.tsx';
import { SchedulePreview } from './SchedulePreview.tsx';
import { scheduleOf, scheduleTypes, type TaskValues } from './task-form.ts';

const whereOps = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists'] as const;

/** Step 4 of the task wizard: now / at / recurring (cron builder) / trigger, with the server's preview beside it. */
export function ScheduleStep({ form, catalog }: { form: FormInstance<TaskValues>; catalog: Catalog | undefined }) {
  const { t } = useI18n();
  const values = Form.useWatch([], form) as Partial<TaskValues> | undefined;
  const type = values?.scheduleType;
  const event = catalog?.events.find((e) => e.name === values?.triggerEvent);

  return (
    <Row gutter={[24, 16]}>
      <Col xs={24} lg={14}>
        <Form.Item name="scheduleType" label={t('tasks.schedule')}>
          <Radio.Group optionType="button" options={scheduleTypes.map((s) => ({ value: s, label: t(`schedule.type.${s}`) }))} data-testid="schedule-type" />
        </Form.Item>
        {type === 'at' && (
          <Form.Item name="at" label={t('tasks.atTime')} rules={[{ required: true, message: t('common.required') }]}>
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" data-testid="schedule-at" />
          </Form.Item>
        )}
        {type === 'recurring' && (
          <>
            <Form.Item name="cron" label={t('schedule.cron')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
              <CronBuilder />
            </Form.Item>
            <Space wrap>
              <Form.Item name="from" label={t('schedule.from')}><DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" /></Form.Item>
              <Form.Item name="until" label={t('schedule.until')}><DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" /></Form.Item>
            </Space>
          </>
        )}
        {type === 'trigger' && (
          <>
            <Form.Item name="triggerEvent" label={t('schedule.event')} extra={t('schedule.eventHint')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
              <AutoComplete
                options={(catalog?.events ?? []).map((e) => ({ value: e.name, label: `${e.name} (${e.count})` }))}
                filterOption={(input, o) => String(o?.value ?? '').toLowerCase().includes(input.toLowerCase())}
                data-testid="trigger-event"
              />
            </Form.Item>
            <Form.List name="where">
              {(fields, { add, remove }) => (
                <Form.Item label={t('schedule.where')}>
                  {fields.map((f) => (
                    <Space key={f.key} align="baseline" wrap style={{ display: 'flex', marginBottom: 4 }}>
                      <Form.Item name={[f.name, 'prop']} rules={[{ required: true, message: t('common.required') }]} noStyle>
                        <AutoComplete style={{ width: 160 }} placeholder={t('schedule.prop')} options={(event?.properties ?? []).map((p) => ({ value: p.name }))} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'op']} initialValue="eq" noStyle>
                        <Select style={{ width: 110 }} options={whereOps.map((op) => ({ value: op, label: t(`whereOp.${op}`) }))} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'value']} noStyle>
                        <Input style={{ width: 160 }} placeholder={t('builder.value')} />
                      </Form.Item>
                      <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('builder.remove')} />
                    </Space>
                  ))}
                  <Button type="dashed" size="small" icon={<PlusOutlined />} onClick={() => add({ op: 'eq' })}>{t('schedule.addWhere')}</Button>
                </Form.Item>
              )}
            </Form.List>
            <Form.Item name="delayMinutes" label={t('schedule.delay')} extra={t('schedule.delayHint')}>
              <InputNumber min={0} max={525_600} precision={0} addonAfter={t('schedule.minutes')} />
            </Form.Item>
          </>
        )}
      </Col>
      <Col xs={24} lg={10}>
        <SchedulePreview schedule={values ? scheduleOf(values) : null} />
      </Col>
    </Row>
  );
}
