import { useState } from 'preact/hooks';
import { api, ApiError, setCsrf, type Me } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { href } from '../lib/router';
import { Alert, errorText, Field, LangSwitch } from '../lib/ui';

interface LoginAnswer {
  user: { id: number; username: string; role: string };
  csrf_token: string;
}

export function Login({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const a = await api<LoginAnswer>('POST', '/api/v1/auth/login', { body: { username, password }, quiet401: true });
      setCsrf('staff', a.csrf_token);
      onSignedIn({ kind: 'user', id: a.user.id, name: a.user.username, role: a.user.role });
    } catch (err) {
      const ae = err instanceof ApiError ? err : null;
      setError(ae?.status === 401 ? t.wrongPassword : ae?.status === 429 ? t.locked : errorText(t, err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main id="main" class="narrow">
      <div class="row-end">
        <LangSwitch />
      </div>
      <h1>{t.staffSignIn}</h1>
      <form onSubmit={submit} class="card" aria-busy={busy}>
        <Field label={t.username} name="username" value={username} onInput={setUsername} autocomplete="username" required autofocus />
        <Field label={t.password} name="password" type="password" value={password} onInput={setPassword} autocomplete="current-password" required />
        {error && <Alert>{error}</Alert>}
        <button type="submit" disabled={busy}>
          {t.signIn}
        </button>
      </form>
      <p>
        <a href={href('/portal')}>{t.memberPortal}</a>
      </p>
    </main>
  );
}
