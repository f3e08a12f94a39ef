import { AppstoreOutlined, HomeOutlined, LogoutOutlined, MailOutlined, MessageOutlined, NotificationOutlined, SettingOutlined, TeamOutlined } from '@ant-design/icons';
import { Button, Layout, Menu, Result, Space, Spin, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { api, setUnauthorizedHandler } from '../api/client.ts';
import type { Me } from '../api/types.ts';
import { useAsync } from '../common/use-async.ts';
import { useI18n } from '../i18n/i18n-context.ts';
import { rewardsMenuItems } from '../rewards/routes.tsx';
import { LanguageSwitch } from './LanguageSwitch.tsx';
import { MeContext } from './me-context.ts';

const { Header, Sider, Content } = Layout;

const sections = ['/', '/users', '/segments', '/templates', '/campaigns', '/messages', '/rewards', '/settings'] as const;

function sectionOf(pathname: string): string {
  const hit = sections.filter((s) => s !== '/' && (pathname === s || pathname.startsWith(`${s}/`)));
  return hit[0] ?? '/';
}

/** Side menu, header (workspace, language, logout) and the signed-in pages. A 401 anywhere leads to /login. */
export function AppLayout() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);

  useEffect(() => {
    setUnauthorizedHandler(() => navigate('/login', { replace: true, state: { from: `${window.location.pathname}${window.location.search}` } }));
    return () => setUnauthorizedHandler(null);
  }, [navigate]);

  const meState = useAsync(() => api.get<Me>('/v1/me'), []);
  const me = meState.data;

  const items = useMemo(() => [
    { key: '/', icon: <HomeOutlined />, label: t('menu.home') },
    { key: '/users', icon: <TeamOutlined />, label: t('menu.users') },
    { key: '/segments', icon: <AppstoreOutlined />, label: t('menu.segments') },
    { key: '/templates', icon: <MessageOutlined />, label: t('menu.templates') },
    { key: '/campaigns', icon: <NotificationOutlined />, label: t('menu.campaigns') },
    { key: '/messages', icon: <MailOutlined />, label: t('menu.messages') },
    ...rewardsMenuItems(t),
    { key: '/settings', icon: <SettingOutlined />, label: t('menu.settings') },
  ], [t]);

  const logout = async () => {
    try {
      await api.post('/v1/auth/logout', {}, { authCall: true });
    } finally {
      navigate('/login', { replace: true });
    }
  };

  if (!me) {
    if (meState.error && !meState.loading) {
      return <Result status="error" title={meState.error.message} extra={<Button onClick={() => void meState.reload()}>{t('common.retry')}</Button>} />;
    }
    return <div style={{ display: 'grid', placeItems: 'center', height: '100vh' }}><Spin size="large" /></div>;
  }

  return (
    <MeContext.Provider value={{ me, reloadMe: meState.reload }}>
      <Layout style={{ minHeight: '100vh' }}>
        <Sider breakpoint="lg" collapsedWidth={0} collapsed={collapsed} onCollapse={setCollapsed} width={208} theme="dark">
          <div style={{ color: '#fff', fontWeight: 600, fontSize: 18, padding: '18px 24px', letterSpacing: 0.3 }}>Marketloop</div>
          <Menu
            theme="dark"
            mode="inline"
            selectedKeys={[sectionOf(location.pathname)]}
            items={items}
            onClick={(e) => navigate(e.key)}
            data-testid="side-menu"
          />
        </Sider>
        <Layout>
          <Header style={{ background: '#fff', padding: '0 24px', lineHeight: 'normal', display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 16, borderBottom: '1px solid #f0f0f0' }}>
            <Space size="middle" style={{ minWidth: 0 }}>
              <Typography.Text strong data-testid="workspace-name" style={{ maxWidth: '40vw', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', display: 'inline-block', verticalAlign: 'middle' }}>{me.workspace.name}</Typography.Text>
              <Tag>{me.workspace.slug}</Tag>
            </Space>
            <Space size="middle">
              <LanguageSwitch />
              <Typography.Text type="secondary" className="hide-narrow">{me.email ?? me.actor} · {t(`role.${me.role}`)}</Typography.Text>
              <Button icon={<LogoutOutlined />} onClick={() => void logout()} data-testid="logout">{t('layout.logout')}</Button>
            </Space>
          </Header>
          <Content style={{ margin: 24, minWidth: 0 }}>
            <Outlet />
          </Content>
        </Layout>
      </Layout>
    </MeContext.Provider>
  );
}
