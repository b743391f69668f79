// The staff console: sign-in, then the pages the role may use, under one header with the navigation.
import { useEffect, useState } from 'preact/hooks';
import { api, setCsrf, whenSignedOut, type Me } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { href, match, navigate } from '../lib/router';
import { LangSwitch, Loading } from '../lib/ui';
import { can } from './access';
import { Cashier } from './Cashier';
import { Dashboard } from './Dashboard';
import { Login } from './Login';
import { MemberForm } from './MemberForm';
import { MemberPage } from './MemberPage';
import { Members } from './Members';
import { CampaignForm, Campaigns } from './Campaigns';
import { CampaignPage } from './CampaignPage';
import { useCampaignWords } from './campaignWords';

export function StaffApp({ path }: { path: string }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    whenSignedOut('staff', () => setMe(null));
    api<Me>('GET', '/api/v1/auth/me', { quiet401: true }).then(setMe, () => setMe(null));
  }, []);
  if (me === undefined) return <Loading />;
  if (me === null) return <Login onSignedIn={setMe} />;
  return (
    <Shell me={me} path={path} onSignOut={() => setMe(null)}>
      <Page me={me} path={path} />
    </Shell>
  );
}

function Page({ me, path }: { me: Me; path: string }) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '/dashboard') return <Dashboard />;
  if (path === '/members') return <Members />;
  if (path === '/members/new' && can(me.role, 'memberWrite')) return <MemberForm />;
  if ((m = match('/members/:id/edit', path)) && can(me.role, 'memberWrite')) return <MemberForm id={Number(m.id)} />;
  if ((m = match('/members/:id', path))) return <MemberPage id={Number(m.id)} role={me.role} />;
  if (path === '/cashier' && can(me.role, 'pointsWrite')) return <Cashier />;
  if (path === '/campaigns' && can(me.role, 'campaignRead')) return <Campaigns canWrite={can(me.role, 'campaignWrite')} />;
  if (path === '/campaigns/new' && can(me.role, 'campaignWrite')) return <CampaignForm />;
  if ((m = match('/campaigns/:id', path)) && can(me.role, 'campaignRead'))
    return <CampaignPage id={Number(m.id)} canWrite={can(me.role, 'campaignWrite')} canDecide={can(me.role, 'campaignDecide')} />;
  return <Dashboard />;
}

function Shell(p: { me: Me; path: string; onSignOut: () => void; children: preact.ComponentChildren }) {
  const { t } = useI18n();
  const cw = useCampaignWords();
  const links: [string, string, boolean][] = [
    ['/', t.navDashboard, true],
    ['/members', t.navMembers, true],
    ['/members/new', t.navNewMember, can(p.me.role, 'memberWrite')],
    ['/cashier', t.navCashier, can(p.me.role, 'pointsWrite')],
    ['/campaigns', cw.navCampaigns, can(p.me.role, 'campaignRead')],
  ];
  const active = (to: string) => (to === '/' ? p.path === '/' || p.path === '/dashboard' : p.path === to);
  async function signOut() {
    try {
      await api('POST', '/api/v1/auth/logout');
    } catch {
      /* signed out either way */
    }
    setCsrf('staff', null);
    p.onSignOut();
    navigate('/');
  }
  return (
    <>
      <a class="skip" href="#main">
        {t.skipToContent}
      </a>
      <header class="top">
        <strong class="brand">{t.club}</strong>
        <nav aria-label={t.mainMenu}>
          {links
            .filter((l) => l[2])
            .map(([to, label]) => (
              <a href={href(to)} aria-current={active(to) ? 'page' : undefined}>
                {label}
              </a>
            ))}
        </nav>
        <div class="who">
          <span class="muted">{t.signedInAs(p.me.name, t.roles[p.me.role] ?? p.me.role)}</span>
          <LangSwitch />
          <button type="button" class="link" onClick={signOut}>
            {t.signOut}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {p.children}
      </main>
    </>
  );
}
