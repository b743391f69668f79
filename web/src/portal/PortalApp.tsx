// The member portal: sign in with a one-time code, then the member's own club (portal/Home.tsx).
import { useEffect, useState } from 'preact/hooks';
import { api, whenSignedOut, type Member, type TierStatus } from '../lib/api';
import { preferLang, useI18n } from '../lib/i18n';
import { LangSwitch, Loading } from '../lib/ui';
import { Home } from './Home';
import { SignIn } from './SignIn';

export type PortalMember = Member & { tier_progress: TierStatus };

export function PortalApp() {
  const { t } = useI18n();
  const [me, setMe] = useState<PortalMember | null | undefined>(undefined);
  const load = () =>
    api<PortalMember>('GET', '/api/v1/portal/me', { realm: 'portal', quiet401: true }).then(
      (m) => {
        preferLang(m.locale);
        setMe(m);
      },
      () => setMe(null),
    );
  useEffect(() => {
    whenSignedOut('portal', () => setMe(null));
    load();
  }, []);
  return (
    <div class="portal">
      <a class="skip" href="#main">
        {t.skipToContent}
      </a>
      <header class="top">
        <strong class="brand">{t.portalTitle}</strong>
        <div class="who">
          <LangSwitch />
        </div>
      </header>
      <main id="main" tabIndex={-1} class="narrow">
        {me === undefined ? <Loading /> : me === null ? <SignIn onSignedIn={load} /> : <Home me={me} reload={load} onSignedOut={() => setMe(null)} />}
      </main>
    </div>
  );
}
