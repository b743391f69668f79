// A member's page: profile, points, tier and progress, the ledger with explanations, redemptions, and (for
// roles that may write members) the portal sign-in code waiting to be told at the till.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type LedgerPage, type Member, type Page, type Redemption, type Reward, type TierStatus } from '../lib/api';
import { localDigits, useI18n } from '../lib/i18n';
import { href } from '../lib/router';
import { Alert, errorText, Loading, Ltr } from '../lib/ui';
import { Ledger } from '../shared/Ledger';
import { Redemptions } from '../shared/Redemptions';
import { TierProgress } from '../shared/TierProgress';
import { can } from './access';
import { fullName } from './Members';

interface Data {
  member: Member;
  tier: TierStatus;
  ledger: LedgerPage;
  redemptions: Page<Redemption>;
  rewards: Map<number, Reward>;
}

async function loadMember(id: number): Promise<Data> {
  const base = `/api/v1/members/${id}`;
  const [member, tier, ledger, redemptions, rewards] = await Promise.all([
    api<Member>('GET', base),
    api<TierStatus>('GET', `${base}/tier`),
    api<LedgerPage>('GET', `${base}/ledger?limit=50`),
    api<Page<Redemption>>('GET', `${base}/redemptions?limit=100`),
    api<Page<Reward>>('GET', '/api/v1/rewards?limit=500'),
  ]);
  return { member, tier, ledger, redemptions, rewards: new Map(rewards.items.map((r) => [r.id, r])) };
}

export function MemberPage({ id, role }: { id: number; role: string }) {
  const i = useI18n();
  const { t } = i;
  const [d, setD] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setD(null);
    loadMember(id).then(setD, setError);
  }, [id]);
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!d) return <Loading />;
  const m = d.member;
  return (
    <article aria-labelledby="member-title">
      <div class="row-between">
        <h1 id="member-title">{fullName(m, t.unnamed)}</h1>
        {can(role, 'memberWrite') && (
          <a class="button secondary" href={href(`/members/${m.id}/edit`)}>
            {t.edit}
          </a>
        )}
      </div>
      <div class="grid">
        <section class="card" aria-labelledby="profile-h">
          <h2 id="profile-h">{t.profile}</h2>
          <dl class="pairs">
            <dt>{t.phone}</dt>
            <dd>{m.phone ? <Ltr>{localDigits(m.phone, i.lang)}</Ltr> : '—'}</dd>
            <dt>{t.email}</dt>
            <dd>{m.email ? <Ltr>{m.email}</Ltr> : '—'}</dd>
            <dt>{t.cardNumber}</dt>
            <dd>{m.external_ref ? <Ltr>{m.external_ref}</Ltr> : '—'}</dd>
            <dt>{t.kind}</dt>
            <dd>{m.kind === 'prospect' ? t.kindProspect : t.kindMember}</dd>
            <dt>{t.locale}</dt>
            <dd>{m.locale === 'fa' ? 'فارسی' : 'English'}</dd>
            <dt>{t.consent}</dt>
            <dd>
              {t.consentSms}: {m.consent.sms ? t.yes : t.no}؛ {t.consentEmail}: {m.consent.email ? t.yes : t.no}
            </dd>
            <dt>{t.memberSince}</dt>
            <dd>{i.date(m.created_at, false)}</dd>
            <dt>{t.purchases}</dt>
            <dd>{i.num(m.aggregates.purchase_count)}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="points-h">
          <h2 id="points-h">{t.points}</h2>
          <dl class="tiles small">
            <div class="tile" data-figure="available">
              <dt>{t.available}</dt>
              <dd>{i.num(d.ledger.balance.available)}</dd>
            </div>
            <div class="tile">
              <dt>{t.pending}</dt>
              <dd>{i.num(d.ledger.balance.pending)}</dd>
            </div>
            <div class="tile">
              <dt>{t.lifetime}</dt>
              <dd>{i.num(d.ledger.balance.lifetime)}</dd>
            </div>
          </dl>
          <h3>{t.tier}</h3>
          <TierProgress tier={d.tier} />
        </section>
        {can(role, 'memberWrite') && <PortalCode id={m.id} />}
      </div>
      <section aria-labelledby="ledger-h">
        <h2 id="ledger-h">{t.ledger}</h2>
        <Ledger items={d.ledger.items} />
      </section>
      <section aria-labelledby="redemptions-h">
        <h2 id="redemptions-h">{t.redemptions}</h2>
        <Redemptions items={d.redemptions.items} rewards={d.rewards} />
      </section>
    </article>
  );
}

/** The code the member asked for, shown on demand (it is a secret: not on screen by default). */
function PortalCode({ id }: { id: number }) {
  const i = useI18n();
  const { t } = i;
  const [state, setState] = useState<{ code: string; expires_at: string } | 'none' | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function show() {
    setError(null);
    try {
      setState(await api<{ code: string; expires_at: string }>('GET', `/api/v1/members/${id}/portal-code`));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setState('none');
      else setError(e);
    }
  }
  return (
    <section class="card" aria-labelledby="code-h">
      <h2 id="code-h">{t.portalCode}</h2>
      <p class="muted">{t.portalCodeHelp}</p>
      <button type="button" class="secondary" onClick={show}>
        {t.showCode}
      </button>
      <div aria-live="polite">
        {state === 'none' && <p>{t.noCode}</p>}
        {state && state !== 'none' && (
          <p>
            <strong class="code" data-testid="portal-code">
              <Ltr>{localDigits(state.code, i.lang)}</Ltr>
            </strong>{' '}
            <span class="muted">{t.codeExpires(i.date(state.expires_at))}</span>
          </p>
        )}
        {error != null && <Alert>{errorText(t, error)}</Alert>}
      </div>
    </section>
  );
}
