import { Form } from 'antd';
import type { ReactNode } from 'react';

/** A labelled field with the messages (local or the API's 400 details) that belong to it. */
export function FieldError({ errors, children, label }: { errors?: string[]; children: ReactNode; label?: string }) {
  return (
    <Form.Item label={label} validateStatus={errors?.length ? 'error' : undefined} help={errors?.length ? errors.join(' ') : undefined} style={{ marginBottom: 8 }}>
      {children}
    </Form.Item>
  );
}
