// Create or edit a member. Sends what the API takes (POST /members, or a merge patch to PATCH /members/{id});
// the server validates and normalises (phones to E.164, Persian digits to ASCII), and its field errors show
// under each field.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Member } from '../lib/api';
import { asciiDigits, useI18n } from '../lib/i18n';
import { navigate } from '../lib/router';
import { Alert, Check, errorText, Field, Loading } from '../lib/ui';

interface Form {
  given_name: string;
  family_name: string;
  phone: string;
  email: string;
  external_ref: string;
  locale: 'fa' | 'en';
  kind: 'member' | 'prospect';
  birthday: string;
  calendar: 'persian' | 'gregorian';
  consent_sms: boolean;
  consent_email: boolean;
}

function fromMember(m: Member | null, lang: 'fa' | 'en'): Form {
  return {
    given_name: m?.given_name ?? '',
    family_name: m?.family_name ?? '',
    phone: m?.phone ?? '',
    email: m?.email ?? '',
    external_ref: m?.external_ref ?? '',
    locale: m?.locale ?? lang,
    kind: m?.kind ?? 'member',
    birthday: m?.birthday?.date ?? '',
    calendar: (m?.birthday?.calendar as Form['calendar']) ?? (lang === 'fa' ? 'persian' : 'gregorian'),
    consent_sms: m?.consent.sms ?? false,
    consent_email: m?.consent.email ?? false,
  };
}

function body(f: Form): Record<string, unknown> {
  const text = (s: string) => (s.trim() ? s.trim() : null);
  return {
    given_name: text(f.given_name),
    family_name: text(f.family_name),
    phone: text(asciiDigits(f.phone)),
    email: text(f.email),
    external_ref: text(asciiDigits(f.external_ref)),
    locale: f.locale,
    kind: f.kind,
    birthday: f.birthday.trim() ? { date: asciiDigits(f.birthday.trim()), calendar: f.calendar } : null,
    consent: { sms: f.consent_sms, email: f.consent_email },
  };
}

export function MemberForm({ id }: { id?: number }) {
  const { t, lang } = useI18n();
  const [f, setF] = useState<Form | null>(id ? null : fromMember(null, lang));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (id) api<Member>('GET', `/api/v1/members/${id}`).then((m) => setF(fromMember(m, lang)), setError);
  }, [id]);
  if (!f) return error ? <Alert>{errorText(t, error)}</Alert> : <Loading />;
  const set = <K extends keyof Form>(k: K) => (v: Form[K]) => setF({ ...f, [k]: v });
  const fieldError = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const b = body(f!);
      const m = id
        ? await api<Member>('PATCH', `/api/v1/members/${id}`, { body: b })
        : await api<Member>('POST', '/api/v1/members', { body: b });
      navigate(`/members/${m.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="form-title">
      <h1 id="form-title">{id ? t.editMember : t.newMember}</h1>
      <form class="card form" onSubmit={submit} aria-busy={busy} noValidate>
        <div class="cols">
          <Field label={t.givenName} name="given_name" value={f.given_name} onInput={set('given_name')} error={fieldError('given_name')} dirAuto autocomplete="off" />
          <Field label={t.familyName} name="family_name" value={f.family_name} onInput={set('family_name')} error={fieldError('family_name')} dirAuto autocomplete="off" />
          <Field label={t.phone} name="phone" type="tel" inputMode="tel" value={f.phone} onInput={set('phone')} error={fieldError('phone')} autocomplete="off" />
          <Field label={t.email} name="email" type="email" inputMode="email" value={f.email} onInput={set('email')} error={fieldError('email')} autocomplete="off" />
          <Field label={t.cardNumber} name="external_ref" value={f.external_ref} onInput={set('external_ref')} error={fieldError('external_ref')} autocomplete="off" />
          <Field label={t.birthday} name="birthday" hint={t.birthdayHint} value={f.birthday} onInput={set('birthday')} error={fieldError('birthday')} inputMode="numeric" autocomplete="off" />
          <div class="field">
            <label for="calendar">{t.calendar}</label>
            <select id="calendar" value={f.calendar} onChange={(e) => set('calendar')((e.target as HTMLSelectElement).value as Form['calendar'])}>
              <option value="persian">{t.calendarPersian}</option>
              <option value="gregorian">{t.calendarGregorian}</option>
            </select>
          </div>
          <div class="field">
            <label for="locale">{t.locale}</label>
            <select id="locale" value={f.locale} onChange={(e) => set('locale')((e.target as HTMLSelectElement).value as Form['locale'])}>
              <option value="fa">فارسی</option>
              <option value="en">English</option>
            </select>
          </div>
          <div class="field">
            <label for="kind">{t.kind}</label>
            <select id="kind" value={f.kind} onChange={(e) => set('kind')((e.target as HTMLSelectElement).value as Form['kind'])}>
              <option value="member">{t.kindMember}</option>
              <option value="prospect">{t.kindProspect}</option>
            </select>
          </div>
        </div>
        <fieldset>
          <legend>{t.consent}</legend>
          <Check label={t.consentSms} name="consent_sms" checked={f.consent_sms} onChange={set('consent_sms')} />
          <Check label={t.consentEmail} name="consent_email" checked={f.consent_email} onChange={set('consent_email')} />
        </fieldset>
        {error != null && <Alert>{error instanceof ApiError && error.status === 400 ? t.fixFields : errorText(t, error)}</Alert>}
        <div class="row">
          <button type="submit" disabled={busy}>
            {id ? t.save : t.create}
          </button>
          <button type="button" class="secondary" onClick={() => history.back()}>
            {t.cancel}
          </button>
        </div>
      </form>
    </section>
  );
}
