import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Table, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api } from '../api/client.ts';
import type { Page, Template } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';

/** Message templates, newest first. */
export function TemplatesPage() {
  const { t, lang } = useI18n();
  const { data, error, loading } = useAsync(() => api.get<Page<Template>>('/v1/templates?limit=200'), []);
  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}>{t('templates.title')}</Typography.Title>
        <Link to="/templates/new"><Button type="primary" icon={<PlusOutlined />} data-testid="new-template">{t('templates.newSms')}</Button></Link>
      </div>
      <ErrorAlert error={error ? toShownError(error) : null} />
      <Card>
        <Table<Template>
          rowKey="id" loading={loading} dataSource={data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }}
          columns={[
            { title: t('templates.name'), dataIndex: 'name', render: (v: string, tpl) => <Link to={`/templates/${tpl.id}`}>{v}</Link> },
            { title: t('templates.channel'), dataIndex: 'channel', render: (v: string) => <Tag>{t(`channel.${v as Template['channel']}`)}</Tag> },
            { title: t('templates.version'), dataIndex: 'version', align: 'right' },
            { title: t('templates.review'), dataIndex: 'reviewState' },
            { title: t('templates.updatedAt'), dataIndex: 'updatedAt', render: (v: string) => formatTime(v, lang) },
          ]}
        />
      </Card>
    </>
  );
}
