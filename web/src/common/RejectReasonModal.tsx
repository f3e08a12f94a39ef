import { Form, Input, Modal } from 'antd';
import { useI18n } from '../i18n/i18n-context.ts';

/**
 * Asks for the reason of a rejection (a campaign's, a template version's): required, trimmed.
 * `onReject` answers whether it went through; the dialog closes only then.
 */
export function RejectReasonModal({ open, title, okText, loading, testId, onCancel, onReject }: {
  open: boolean;
  title: string;
  okText: string;
  loading: boolean;
  /** data-testid of the reason's text area. */
  testId: string;
  onCancel: () => void;
  onReject: (reason: string) => Promise<boolean>;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string }>();
  return (
    <Modal
      open={open}
      title={title}
      okText={okText}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      confirmLoading={loading}
      onCancel={onCancel}
      onOk={() => form.submit()}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" preserve={false} onFinish={async (v) => { if (await onReject(v.reason.trim())) onCancel(); }}>
        <Form.Item name="reason" label={t('actions.reason')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
          <Input.TextArea autoSize={{ minRows: 3 }} data-testid={testId} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
