// The staff console: sign-in, then the pages the role may use, under one header with the navigation.
import { useEffect, useState } from 'preact/hooks';
import { api, setCsrf, whenSignedOut, type Me } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { href, match, navigate } from '../lib/router';
import { LangSwitch, Loading } from '../lib/ui';
import { can } from './access';
import { Budget } from './Budget';
import { CampaignForm, Campaigns } from './Campaigns';
import { CampaignPage } from './CampaignPage';
import { useCampaignWords } from './campaignWords';
import { Cashier } from './Cashier';
import { Competitors } from './Competitors';
import { Dashboard } from './Dashboard';
import { Login } from './Login';
import { MemberForm } from './MemberForm';
import { MemberPage } from './MemberPage';
import { Members } from './Members';
import { useNavWords } from './navWords';
import { Lazy } from './lazyAdmin';
import { MomentEditor, Moments } from './Moments';
import { momentWords } from './momentWords';
import { Plans } from './Plans';
import { usePlanWords } from './planWords';
import { templateWords } from './templateWords';
import { webhookWords } from './webhookWords';

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
  if (path === '/' || path === '/dashboard') return <Dashboard role={me.role} />;
  if (path === '/members') return <Members />;
  if (path === '/members/new' && can(me.role, 'memberWrite')) return <MemberForm />;
  if ((m = match('/members/:id/edit', path)) && can(me.role, 'memberWrite')) return <MemberForm id={Number(m.id)} />;
  if ((m = match('/members/:id', path))) return <MemberPage id={Number(m.id)} role={me.role} />;
  if (path === '/cashier' && can(me.role, 'pointsWrite')) return <Cashier />;
  if (path === '/rewards' && can(me.role, 'catalogAdmin')) return <Lazy render={(a) => <a.Rewards />} />;
  if (path === '/tiers' && can(me.role, 'catalogAdmin')) return <Lazy render={(a) => <a.Tiers />} />;
  if (path === '/rules' && can(me.role, 'catalogAdmin')) return <Lazy render={(a) => <a.Rules />} />;
  if (path === '/programme' && can(me.role, 'programmeAdmin')) return <Lazy render={(a) => <a.ProgrammeSettings />} />;
  if (path === '/segments' && can(me.role, 'segmentRead')) return <Lazy render={(a) => <a.Segments canWrite={can(me.role, 'segmentWrite')} />} />;
  if ((m = match('/segments/:id', path)) && can(me.role, 'segmentRead')) {
    const id = Number(m.id);
    return <Lazy render={(a) => <a.Segments id={id} canWrite={can(me.role, 'segmentWrite')} />} />;
  }
  if (path === '/users' && can(me.role, 'userAdmin')) return <Lazy render={(a) => <a.Users />} />;
  if (path === '/apikeys' && can(me.role, 'apikeyAdmin')) return <Lazy render={(a) => <a.ApiKeys role={me.role} />} />;
  if (path === '/audit' && can(me.role, 'auditRead')) return <Lazy render={(a) => <a.Audit />} />;
  if (path === '/surveys' && can(me.role, 'surveyRead')) return <Lazy render={(a) => <a.Surveys canWrite={can(me.role, 'surveyWrite')} />} />;
  if ((m = match('/surveys/:id', path)) && can(me.role, 'surveyRead')) {
    const id = Number(m.id);
    return <Lazy render={(a) => <a.Surveys id={id} canWrite={can(me.role, 'surveyWrite')} />} />;
  }
  if (path === '/broadcasts' && can(me.role, 'segmentRead')) return <Lazy render={(a) => <a.Broadcasts canSend={can(me.role, 'segmentWrite')} />} />;
  if (path === '/budget' && can(me.role, 'budgetRead')) return <Budget role={me.role} />;
  if (path === '/plans' && can(me.role, 'budgetRead')) return <Plans role={me.role} />;
  if (path === '/competitors' && can(me.role, 'competitorRead')) return <Competitors role={me.role} />;
  if (path === '/campaigns' && can(me.role, 'campaignRead')) return <Campaigns canWrite={can(me.role, 'campaignWrite')} />;
  if (path === '/campaigns/new' && can(me.role, 'campaignWrite')) return <CampaignForm />;
  if ((m = match('/campaigns/:id', path)) && can(me.role, 'campaignRead'))
    return <CampaignPage id={Number(m.id)} canWrite={can(me.role, 'campaignWrite')} canDecide={can(me.role, 'campaignDecide')} />;
  if (path === '/moments' && can(me.role, 'momentsRead')) return <Moments canWrite={can(me.role, 'momentsWrite')} />;
  if (path === '/moments/new' && can(me.role, 'momentsWrite')) return <MomentEditor canWrite />;
  if ((m = match('/moments/:id', path)) && can(me.role, 'momentsRead'))
    return <MomentEditor id={Number(m.id)} canWrite={can(me.role, 'momentsWrite')} />;
  if (path === '/webhooks' && can(me.role, 'webhookAdmin')) return <Lazy render={(a) => <a.Webhooks />} />;
  if (path === '/templates' && can(me.role, 'templateRead'))
    return <Lazy render={(a) => <a.Templates canWrite={can(me.role, 'templateWrite')} />} />;
  return <Dashboard role={me.role} />;
}

function Shell(p: { me: Me; path: string; onSignOut: () => void; children: preact.ComponentChildren }) {
  const { t, lang } = useI18n();
  const w = useNavWords();
  const pw = usePlanWords();
  const cw = useCampaignWords();
  const links: [string, string, boolean][] = [
    ['/', t.navDashboard, true],
    ['/members', t.navMembers, true],
    ['/members/new', t.navNewMember, can(p.me.role, 'memberWrite')],
    ['/cashier', t.navCashier, can(p.me.role, 'pointsWrite')],
    ['/rewards', w.navRewards, can(p.me.role, 'catalogAdmin')],
    ['/tiers', w.navTiers, can(p.me.role, 'catalogAdmin')],
    ['/rules', w.navRules, can(p.me.role, 'catalogAdmin')],
    ['/programme', w.navProgramme, can(p.me.role, 'programmeAdmin')],
    ['/segments', w.navSegments, can(p.me.role, 'segmentRead')],
    ['/users', w.navUsers, can(p.me.role, 'userAdmin')],
    ['/apikeys', w.navApiKeys, can(p.me.role, 'apikeyAdmin')],
    ['/audit', w.navAudit, can(p.me.role, 'auditRead')],
    ['/surveys', w.navSurveys, can(p.me.role, 'surveyRead')],
    ['/broadcasts', w.navBroadcasts, can(p.me.role, 'segmentRead')],
    ['/budget', pw.navBudget, can(p.me.role, 'budgetRead')],
    ['/plans', pw.navPlans, can(p.me.role, 'budgetRead')],
    ['/competitors', pw.navCompetitors, can(p.me.role, 'competitorRead')],
    ['/campaigns', cw.navCampaigns, can(p.me.role, 'campaignRead')],
    ['/moments', momentWords(lang).navMoments, can(p.me.role, 'momentsRead')],
    ['/webhooks', webhookWords(lang).navWebhooks, can(p.me.role, 'webhookAdmin')],
    ['/templates', templateWords(lang).navTemplates, can(p.me.role, 'templateRead')],
  ];
  const active = (to: string) =>
    to === '/' ? p.path === '/' || p.path === '/dashboard' : p.path === to || (to !== '/members' && p.path.startsWith(to + '/'));
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
