import { DatePicker, Form, Input, Modal, Radio, Select } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { api } from '../api/client.ts';
import type { Page, Schedule, Segment, Task, Template } from '../api/types.ts';
import { applyApiError, type FieldPath, type ShownError } from '../common/api-errors.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';

interface TaskValues {
  name: string;
  channel: 'sms';
  templateId: string;
  segmentId: string;
  scheduleType: 'now' | 'at';
  at?: Dayjs;
}

function taskFieldOf(path: FieldPath): FieldPath | null {
  const [top, sub] = path;
  if (top === 'name' || top === 'templateId' || top === 'channel') return [top];
  if (top === 'audience') return ['segmentId'];
  if (top === 'schedule') return sub === 'at' ? ['at'] : ['scheduleType'];
  return null;
}

interface Props {
  campaignId: string;
  open: boolean;
  onClose: () => void;
  onCreated: (task: Task) => void;
}

/** Add a task to a campaign: name, channel, template, segment, and now / at a time. */
export function AddTaskModal({ campaignId, open, onClose, onCreated }: Props) {
  const { t } = useI18n();
  const [form] = Form.useForm<TaskValues>();
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const templates = useAsync(async () => (open ? api.get<Page<Template>>('/v1/templates?channel=sms&limit=500') : null), [open]);
  const segments = useAsync(async () => (open ? api.get<Page<Segment>>('/v1/segments?limit=500') : null), [open]);
  const scheduleType = Form.useWatch('scheduleType', form);

  const submit = async (v: TaskValues) => {
    setBusy(true);
    setError(null);
    const schedule: Schedule = v.scheduleType === 'at' && v.at ? { type: 'at', at: v.at.toISOString() } : { type: 'now' };
    try {
      const task = await api.post<Task>(`/v1/campaigns/${campaignId}/tasks`, {
        name: v.name.trim(), channel: v.channel, templateId: v.templateId, audience: { segmentId: v.segmentId }, schedule,
      });
      form.resetFields();
      onCreated(task);
    } catch (err) {
      setError(applyApiError(form, err, taskFieldOf));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('tasks.add')}
      okText={t('tasks.create')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <ErrorAlert error={error} />
      <Form<TaskValues> form={form} layout="vertical" requiredMark={false} initialValues={{ channel: 'sms', scheduleType: 'now' }} onFinish={(v) => void submit(v)} preserve={false}>
        <Form.Item name="name" label={t('tasks.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
          <Input data-testid="task-name" />
        </Form.Item>
        <Form.Item name="channel" label={t('tasks.channel')}>
          <Select options={[{ value: 'sms', label: t('channel.sms') }]} />
        </Form.Item>
        <Form.Item name="templateId" label={t('tasks.template')} rules={[{ required: true, message: t('common.required') }]}>
          <Select
            showSearch={{ optionFilterProp: 'label' }}
            loading={templates.loading}
            options={(templates.data?.items ?? []).map((tpl) => ({ value: tpl.id, label: `${tpl.name} (v${tpl.version})` }))}
            data-testid="task-template"
          />
        </Form.Item>
        <Form.Item name="segmentId" label={t('tasks.segment')} rules={[{ required: true, message: t('common.required') }]}>
          <Select
            showSearch={{ optionFilterProp: 'label' }}
            loading={segments.loading}
            options={(segments.data?.items ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.count ?? '…'})` }))}
            data-testid="task-segment"
          />
        </Form.Item>
        <Form.Item name="scheduleType" label={t('tasks.schedule')}>
          <Radio.Group options={[{ value: 'now', label: t('tasks.now') }, { value: 'at', label: t('tasks.at') }]} />
        </Form.Item>
        {scheduleType === 'at' && (
          <Form.Item name="at" label={t('tasks.atTime')} rules={[{ required: true, message: t('common.required') }]}>
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
