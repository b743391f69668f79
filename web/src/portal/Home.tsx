// The signed-in member's club: points (available and pending), tier and progress to the next, rewards to
// redeem, the history with the reason for each change, redemptions, profile and consent, and their data.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, newKey, setCsrf, type LedgerPage, type Page, type Redemption, type Reward } from '../lib/api';
import { localDigits, setLang, useI18n } from '../lib/i18n';
import { Alert, Check, errorText, Field, Loading, Ltr } from '../lib/ui';
import { Ledger } from '../shared/Ledger';
import { TierProgress } from '../shared/TierProgress';
import { Redemptions } from '../shared/Redemptions';
import type { PortalMember } from './PortalApp';
import { Inbox } from './Inbox';

const P = '/api/v1/portal';

interface Data {
  ledger: LedgerPage;
  rewards: Reward[];
  redemptions: Redemption[];
}

async function loadData(): Promise<Data> {
  const [ledger, rewards, redemptions] = await Promise.all([
    api<LedgerPage>('GET', `${P}/ledger?limit=50`, { realm: 'portal' }),
    api<Page<Reward>>('GET', `${P}/rewards?limit=100`, { realm: 'portal' }),
    api<Page<Redemption>>('GET', `${P}/redemptions?limit=100`, { realm: 'portal' }),
  ]);
  return { ledger, rewards: rewards.items, redemptions: redemptions.items };
}

export function Home({ me, reload, onSignedOut }: { me: PortalMember; reload: () => void; onSignedOut: () => void }) {
  const i = useI18n();
  const { t } = i;
  const [d, setD] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const refresh = () => loadData().then(setD, setError);
  useEffect(() => {
    refresh();
  }, [me]);

  async function signOut() {
    try {
      await api('DELETE', `${P}/session`, { realm: 'portal' });
    } catch {
      /* signed out either way */
    }
    setCsrf('portal', null);
    onSignedOut();
  }

  async function redeem(r: Reward) {
    setError(null);
    setDone('');
    try {
      const x = await api<Redemption>('POST', `${P}/redemptions`, { realm: 'portal', body: { reward_id: r.id, idempotency_key: newKey() } });
      setDone(t.redeemed(i.name(r), x.code));
      reload();
    } catch (e) {
      setError(e);
    }
  }

  const name = me.given_name || me.family_name || '';
  return (
    <>
      <div class="row-between">
        <h1>{t.hello(name)}</h1>
        <button type="button" class="link" onClick={signOut}>
          {t.signOut}
        </button>
      </div>
      <div class="grid">
        <section class="card" aria-labelledby="my-points">
          <h2 id="my-points">{t.yourPoints}</h2>
          <p class="big" data-testid="available">{i.num(me.points.available)}</p>
          <p class="muted">
            {t.pending}: {i.num(me.points.pending)} · {t.lifetime}: {i.num(me.points.lifetime)}
          </p>
        </section>
        <section class="card" aria-labelledby="my-tier">
          <h2 id="my-tier">{t.yourTier}</h2>
          <TierProgress tier={me.tier_progress} />
        </section>
      </div>
      {done && <Alert kind="ok">{done}</Alert>}
      {error != null && <Alert>{errorText(t, error)}</Alert>}
      {!d ? (
        <Loading />
      ) : (
        <>
          <section aria-labelledby="rewards-h">
            <h2 id="rewards-h">{t.rewards}</h2>
            {d.rewards.length === 0 ? (
              <p class="muted">{t.noRewards}</p>
            ) : (
              <ul class="rewards">
                {d.rewards.map((r) => {
                  const short = r.cost_points > me.points.available;
                  const out = r.in_stock === false;
                  return (
                    <li class="card reward" data-reward={r.id}>
                      <h3>{i.name(r)}</h3>
                      {(i.lang === 'fa' ? r.description_fa : r.description_en) && <p>{i.lang === 'fa' ? r.description_fa : r.description_en}</p>}
                      <p class="cost">{t.costs(i.num(r.cost_points))}</p>
                      <button type="button" disabled={short || out} onClick={() => redeem(r)} aria-label={`${t.redeem}: ${i.name(r)}`}>
                        {t.redeem}
                      </button>
                      {(short || out) && <small class="muted">{out ? t.outOfStock : t.notEnough}</small>}
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
          <section aria-labelledby="history-h">
            <h2 id="history-h">{t.history}</h2>
            <Ledger items={d.ledger.items} />
          </section>
          <section aria-labelledby="my-redemptions">
            <h2 id="my-redemptions">{t.redemptions}</h2>
            <Redemptions items={d.redemptions} rewards={new Map(d.rewards.map((r) => [r.id, r]))} />
          </section>
        </>
      )}
      <Inbox />
      <Profile me={me} reload={reload} />
      <section class="card" aria-labelledby="data-h">
        <h2 id="data-h">{t.downloadData}</h2>
        <p class="muted">{t.downloadHelp}</p>
        <a class="button secondary" href={`${P}/export`} download="bashgah-my-data.json">
          {t.downloadData}
        </a>
      </section>
    </>
  );
}

function Profile({ me, reload }: { me: PortalMember; reload: () => void }) {
  const { t, lang } = useI18n();
  const [given, setGiven] = useState(me.given_name ?? '');
  const [family, setFamily] = useState(me.family_name ?? '');
  const [email, setEmail] = useState(me.email ?? '');
  const [locale, setLocale] = useState(me.locale);
  const [sms, setSms] = useState(me.consent.sms);
  const [mail, setMail] = useState(me.consent.email);
  const [state, setState] = useState<unknown>(null);

  async function save(e: Event) {
    e.preventDefault();
    setState(null);
    const text = (s: string) => (s.trim() ? s.trim() : null);
    try {
      await api('PATCH', `${P}/me`, {
        realm: 'portal',
        body: { given_name: text(given), family_name: text(family), email: text(email), locale, consent: { sms, email: mail } },
      });
      setState('saved');
      setLang(locale);
      reload();
    } catch (err) {
      setState(err);
    }
  }
  const fieldError = (n: string) => (state instanceof ApiError ? state.field(n) : undefined);
  return (
    <section class="card" aria-labelledby="profile-h">
      <h2 id="profile-h">{t.myProfile}</h2>
      <form onSubmit={save} class="form">
        <p>
          {t.phone}: {me.phone ? <Ltr>{localDigits(me.phone, lang)}</Ltr> : '—'}
        </p>
        <div class="cols">
          <Field label={t.givenName} name="given_name" value={given} onInput={setGiven} error={fieldError('given_name')} dirAuto autocomplete="given-name" />
          <Field label={t.familyName} name="family_name" value={family} onInput={setFamily} error={fieldError('family_name')} dirAuto autocomplete="family-name" />
          <Field label={t.email} name="email" type="email" value={email} onInput={setEmail} error={fieldError('email')} autocomplete="email" />
          <div class="field">
            <label for="my-locale">{t.locale}</label>
            <select id="my-locale" value={locale} onChange={(e) => setLocale((e.target as HTMLSelectElement).value as 'fa' | 'en')}>
              <option value="fa">فارسی</option>
              <option value="en">English</option>
            </select>
          </div>
        </div>
        <fieldset>
          <legend>{t.consent}</legend>
          <Check label={t.consentSms} name="consent_sms" checked={sms} onChange={setSms} />
          <Check label={t.consentEmail} name="consent_email" checked={mail} onChange={setMail} />
        </fieldset>
        {state === 'saved' && <Alert kind="ok">{t.saved}</Alert>}
        {state instanceof Error && <Alert>{errorText(t, state)}</Alert>}
        <button type="submit">{t.save}</button>
      </form>
    </section>
  );
}
