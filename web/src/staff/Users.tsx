// Staff users (owners only): the list with role and state, a form to add a user, and per user a role change and
// disable / enable (a disabled user cannot sign in, and their sessions stop working).
import { useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { Alert, errorText, Field, ListState, Table } from '../lib/ui';
import { useConsole } from './consoleWords';
import { fieldErrors, Select, useList } from './forms';

interface User {
  id: number;
  username: string;
  role: string;
  disabled: boolean;
  created_at: string;
  locked_until: string | null;
}

export const ROLES = ['owner', 'manager', 'marketer', 'cashier', 'analyst'];

export function Users() {
  const i = useConsole();
  const { t, w } = i;
  const list = useList<User>('/api/v1/users');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('cashier');
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const roles: [string, string][] = ROLES.map((r) => [r, t.roles[r] ?? r]);

  async function add(e: Event) {
    e.preventDefault();
    try {
      const u = await api<User>('POST', '/api/v1/users', { body: { username: username.trim(), password, role }, idempotencyKey: newKey() });
      setUsername('');
      setPassword('');
      setErrs({});
      setMsg({ ok: true, text: w.userAdded(u.username) });
      list.reload();
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  async function patch(u: User, body: Record<string, unknown>) {
    try {
      await api('PATCH', `/api/v1/users/${u.id}`, { body, idempotencyKey: newKey() });
      list.reload();
    } catch (err) {
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">{w.users}</h1>
      <ListState items={list.items} error={list.error}>
        {(rows) => (
          <Table columns={[w.username, w.role, t.status, w.created, w.actions]}>
            {rows.map((u) => (
              <tr data-user={u.username}>
                <td>
                  <Ltr>{u.username}</Ltr>
                </td>
                <td>
                  <select aria-label={`${w.role}: ${u.username}`} value={u.role} onChange={(e) => patch(u, { role: (e.target as HTMLSelectElement).value })}>
                    {roles.map(([v, l]) => (
                      <option value={v}>{l}</option>
                    ))}
                  </select>
                </td>
                <td>
                  {u.disabled ? w.disabled : w.active}
                  {u.locked_until && new Date(u.locked_until) > new Date() && ` · ${w.lockedUntil} ${i.date(u.locked_until)}`}
                </td>
                <td>{i.date(u.created_at, false)}</td>
                <td>
                  <button type="button" class="link" aria-label={`${u.disabled ? w.enable : w.disable}: ${u.username}`} onClick={() => patch(u, { disabled: !u.disabled })}>
                    {u.disabled ? w.enable : w.disable}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <form class="card narrow" aria-labelledby="user-form-title" onSubmit={add}>
        <h2 id="user-form-title">{w.newUser}</h2>
        {msg && <Alert kind={msg.ok ? 'ok' : 'error'}>{msg.text}</Alert>}
        <Field label={w.username} value={username} onInput={setUsername} required autocomplete="off" error={errs.username} />
        <Field label={w.password} type="password" value={password} onInput={setPassword} required autocomplete="new-password" hint={w.passwordHint} error={errs.password} />
        <Select label={w.role} value={role} options={roles} onChange={setRole} error={errs.role} />
        <button type="submit">{w.add}</button>
      </form>
    </section>
  );
}

function Ltr(p: { children: string }) {
  return (
    <bdi dir="ltr" class="ltr">
      {p.children}
    </bdi>
  );
}
