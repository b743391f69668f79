// Portal sign-in in two steps: the phone or email, then the code that was sent to it.
import { useState } from 'preact/hooks';
import { api, ApiError, setCsrf } from '../lib/api';
import { asciiDigits, useI18n } from '../lib/i18n';
import { Alert, errorText, Field } from '../lib/ui';

function who(address: string): { phone: string } | { email: string } {
  const a = address.trim();
  return a.includes('@') ? { email: a } : { phone: asciiDigits(a) };
}

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const { t } = useI18n();
  const [address, setAddress] = useState('');
  const [sent, setSent] = useState(false);
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function ask(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api('POST', '/api/v1/portal/code', { realm: 'portal', body: who(address) });
      setSent(true);
    } catch (err) {
      const ae = err instanceof ApiError ? err : null;
      setError(ae?.status === 429 ? t.tooManyCodes : ae?.status === 400 ? ae.errors[0]?.message ?? ae.message : errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  async function verify(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const s = await api<{ csrf_token: string }>('POST', '/api/v1/portal/session', {
        realm: 'portal',
        body: { ...who(address), code: asciiDigits(code.trim()) },
        quiet401: true,
      });
      setCsrf('portal', s.csrf_token);
      onSignedIn();
    } catch (err) {
      const ae = err instanceof ApiError ? err : null;
      setError(ae?.slug === 'wrong-code' ? t.wrongCode : ae?.slug === 'no-code' ? t.noLiveCode : errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="signin-title">
      <h1 id="signin-title">{t.portalSignIn}</h1>
      {!sent ? (
        <form class="card" onSubmit={ask} aria-busy={busy}>
          <p class="muted">{t.portalSignInHelp}</p>
          <Field label={t.phoneOrEmail} name="address" value={address} onInput={setAddress} autocomplete="username" required autofocus dirAuto />
          {error && <Alert>{error}</Alert>}
          <button type="submit" disabled={busy}>
            {t.sendCode}
          </button>
        </form>
      ) : (
        <form class="card" onSubmit={verify} aria-busy={busy}>
          <Alert kind="info">{t.codeSent}</Alert>
          <Field label={t.enterCode} name="code" value={code} onInput={setCode} inputMode="numeric" autocomplete="one-time-code" required autofocus />
          {error && <Alert>{error}</Alert>}
          <div class="row">
            <button type="submit" disabled={busy}>
              {t.verify}
            </button>
            <button type="button" class="link" onClick={() => { setSent(false); setCode(''); setError(''); }}>
              {t.otherAddress}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
