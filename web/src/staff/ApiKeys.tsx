// API keys (owners and managers): the keys with their role, maker and state, a form to create one (the whole key
// is shown once, right after), and revoking. A manager is offered only roles up to their own.
import { useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { Alert, errorText, Field, ListState, Ltr, Table } from '../lib/ui';
import { useConsole } from './consoleWords';
import { fieldErrors, Select, useList } from './forms';
import { ROLES } from './Users';

interface ApiKey {
  id: number;
  name: string;
  role: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

export function ApiKeys({ role }: { role: string }) {
  const i = useConsole();
  const { t, w } = i;
  const list = useList<ApiKey>('/api/v1/apikeys');
  const [name, setName] = useState('');
  const [keyRole, setKeyRole] = useState('analyst');
  const [created, setCreated] = useState<string | null>(null);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<string | null>(null);
  const mine = Math.max(0, ROLES.indexOf(role));
  const roles: [string, string][] = ROLES.filter((_, n) => n >= mine).map((r) => [r, t.roles[r] ?? r]);

  async function create(e: Event) {
    e.preventDefault();
    setMsg(null);
    try {
      const k = await api<ApiKey & { key: string }>('POST', '/api/v1/apikeys', { body: { name: name.trim(), role: keyRole }, idempotencyKey: newKey() });
      setCreated(k.key);
      setName('');
      setErrs({});
      list.reload();
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg(errorText(t, err));
    }
  }

  async function revoke(k: ApiKey) {
    try {
      await api('DELETE', `/api/v1/apikeys/${k.id}`, { idempotencyKey: newKey() });
      list.reload();
    } catch (err) {
      setMsg(errorText(t, err));
    }
  }

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">{w.apiKeys}</h1>
      <ListState items={list.items} error={list.error}>
        {(rows) => (
          <Table columns={[w.keyName, w.role, w.createdBy, w.created, t.status, w.actions]}>
            {rows.map((k) => (
              <tr data-key={k.id}>
                <td>
                  <bdi>{k.name}</bdi>
                </td>
                <td>{t.roles[k.role] ?? k.role}</td>
                <td>
                  <Ltr>{k.created_by}</Ltr>
                </td>
                <td>{i.date(k.created_at)}</td>
                <td>{k.revoked_at ? `${w.revoked} ${i.date(k.revoked_at)}` : w.keyStatusActive}</td>
                <td>
                  {!k.revoked_at && (
                    <button type="button" class="link" aria-label={`${w.revoke}: ${k.name}`} onClick={() => revoke(k)}>
                      {w.revoke}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <form class="card narrow" aria-labelledby="key-form-title" onSubmit={create}>
        <h2 id="key-form-title">{w.newKey}</h2>
        {msg && <Alert>{msg}</Alert>}
        {created && (
          <div class="alert ok" role="status">
            <p>{w.keyShownOnce}</p>
            <code class="ltr" data-testid="new-key" dir="ltr">
              {created}
            </code>
          </div>
        )}
        <Field label={w.keyName} value={name} onInput={setName} required dirAuto error={errs.name} />
        <Select label={w.role} value={keyRole} options={roles} onChange={setKeyRole} error={errs.role} />
        <button type="submit">{w.add}</button>
      </form>
    </section>
  );
}
