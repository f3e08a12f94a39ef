import { App as AntApp } from 'antd';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { AcceptInvitePage } from './auth/AcceptInvitePage.tsx';
import { LoginPage } from './auth/LoginPage.tsx';
import { CampaignCreatePage } from './campaigns/CampaignCreatePage.tsx';
import { CampaignDetailPage } from './campaigns/CampaignDetailPage.tsx';
import { CampaignsPage } from './campaigns/CampaignsPage.tsx';
import { TaskWizardPage } from './campaigns/TaskWizardPage.tsx';
import { HomePage } from './home/HomePage.tsx';
import { I18nProvider } from './i18n/I18nProvider.tsx';
import { AppLayout } from './layout/AppLayout.tsx';
import { NotFoundPage } from './layout/NotFoundPage.tsx';
import { SegmentCreatePage } from './segments/SegmentCreatePage.tsx';
import { SegmentDetailPage } from './segments/SegmentDetailPage.tsx';
import { SegmentsPage } from './segments/SegmentsPage.tsx';
import { rewardsRoutes } from './rewards/routes.tsx';
import { SettingsPage } from './settings/SettingsPage.tsx';
import { TemplateEditorPage } from './templates/TemplateEditorPage.tsx';
import { TemplatesPage } from './templates/TemplatesPage.tsx';
import { UserProfilePage } from './users/UserProfilePage.tsx';
import { MessageLogPage } from './users/MessageLogPage.tsx';
import { UsersPage } from './users/UsersPage.tsx';

/** Routes of the console; everything but /login and /accept-invite sits in the signed-in layout. */
export function App() {
  return (
    <I18nProvider>
      <AntApp>
        <BrowserRouter>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/accept-invite" element={<AcceptInvitePage />} />
            <Route element={<AppLayout />}>
              <Route index element={<HomePage />} />
              <Route path="users" element={<UsersPage />} />
              <Route path="users/:externalId" element={<UserProfilePage />} />
              <Route path="messages" element={<MessageLogPage />} />
              <Route path="segments" element={<SegmentsPage />} />
              <Route path="segments/new" element={<SegmentCreatePage />} />
              <Route path="segments/:id" element={<SegmentDetailPage />} />
              <Route path="templates" element={<TemplatesPage />} />
              <Route path="templates/new" element={<TemplateEditorPage />} />
              <Route path="templates/:id" element={<TemplateEditorPage />} />
              <Route path="campaigns" element={<CampaignsPage />} />
              <Route path="campaigns/new" element={<CampaignCreatePage />} />
              <Route path="campaigns/:id" element={<CampaignDetailPage />} />
              <Route path="campaigns/:id/tasks/new" element={<TaskWizardPage />} />
              {rewardsRoutes}
              <Route path="settings" element={<SettingsPage />} />
              <Route path="home" element={<Navigate to="/" replace />} />
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </AntApp>
    </I18nProvider>
  );
}
