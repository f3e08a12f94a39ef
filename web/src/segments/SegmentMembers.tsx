import { Button, List, Space, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, query } from '../api/client.ts';
import type { Page } from '../api/types.ts';
import { useI18n } from '../i18n/i18n-context.ts';

const PAGE = 50;

/** externalIds in the segment's current snapshot, 50 at a time. `version` reloads from the start. */
export function SegmentMembers({ segmentId, version }: { segmentId: string; version: string }) {
  const { t } = useI18n();
  const [items, setItems] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (from: string | null, replace: boolean) => {
    setLoading(true);
    try {
      const page = await api.get<Page<string>>(`/v1/segments/${segmentId}/members${query({ limit: PAGE, cursor: from })}`);
      setItems((prev) => (replace ? page.items : [...prev, ...page.items]));
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setLoading(false);
    }
  }, [segmentId]);

  useEffect(() => { void load(null, true); }, [load, version]);

  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      <List
        size="small"
        loading={loading && items.length === 0}
        dataSource={items}
        grid={{ gutter: 8, xs: 1, sm: 2, md: 3, lg: 4, xl: 5 }}
        renderItem={(id) => <List.Item data-testid="segment-member"><Link to={`/users/${encodeURIComponent(id)}`}>{id}</Link></List.Item>}
        locale={{ emptyText: t('segments.noMembers') }}
      />
      {cursor && <Button onClick={() => void load(cursor, false)} loading={loading}>{t('common.loadMore')}</Button>}
    </Space>
  );
}
