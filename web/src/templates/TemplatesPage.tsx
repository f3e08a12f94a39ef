import { DownOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Dropdown, Select, Space, Table, Tag, Typography } from 'antd';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, query } from '../api/client.ts';
import { channels, type Channel, type Page, type Template } from '../api/types.ts';
import { toShownError } from '../common/api-errors.ts';
import { formatTime } from '../common/dates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { ReviewTag, reviewStatusOf } from './ReviewTag.tsx';

/** Message templates of every channel, newest first, with their review state; `?channel=` filters. */
export function TemplatesPage() {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const channel = (params.get('channel') ?? undefined) as Channel | undefined;
  const { data, error, loading } = useAsync(() => api.get<Page<Template>>(`/v1/templates${query({ limit: 500, channel })}`), [channel]);
  return (
    <>
      <div className="page-header">
        <Typography.Title level={3}>{t('templates.title')}</Typography.Title>
        <Space.Compact>
          <Link to={`/templates/new${channel ? `?channel=${channel}` : ''}`}><Button type="primary" icon={<PlusOutlined />} data-testid="new-template">{t('templates.new')}</Button></Link>
          <Dropdown menu={{ items: channels.map((c) => ({ key: c, label: t('templates.newOf', { channel: t(`channel.${c}`) }) })), onClick: (e) => navigate(`/templates/new?channel=${e.key}`) }}>
            <Button type="primary" icon={<DownOutlined />} data-testid="new-template-channel" />
          </Dropdown>
        </Space.Compact>
      </div>
      <ErrorAlert error={error ? toShownError(error) : null} />
      <Card>
        <Select<Channel>
          allowClear
          placeholder={t('templates.filterChannel')}
          value={channel}
          onChange={(v) => setParams(v ? { channel: v } : {})}
          style={{ width: 200, marginBottom: 16 }}
          options={channels.map((c) => ({ value: c, label: t(`channel.${c}`) }))}
          data-testid="templates-channel-filter"
        />
        <Table<Template>
          rowKey="id" loading={loading} dataSource={data?.items ?? []} pagination={{ pageSize: 20, hideOnSinglePage: true }} scroll={{ x: true }}
          columns={[
            { title: t('templates.name'), dataIndex: 'name', render: (v: string, tpl) => <Link to={`/templates/${tpl.id}`}>{v}</Link> },
            { title: t('templates.channel'), dataIndex: 'channel', render: (v: Channel) => <Tag>{t(`channel.${v}`)}</Tag> },
            { title: t('templates.version'), dataIndex: 'version', align: 'right', render: (v: number) => `v${v}` },
            { title: t('templates.review'), key: 'review', render: (_: unknown, tpl) => <ReviewTag status={reviewStatusOf(tpl)} /> },
            { title: t('templates.approvedVersion'), dataIndex: 'approvedVersion', render: (v: number | null | undefined) => (v ? `v${v}` : '—') },
            { title: t('templates.updatedAt'), dataIndex: 'updatedAt', render: (v: string) => formatTime(v, lang) },
          ]}
        />
      </Card>
    </>
  );
}
