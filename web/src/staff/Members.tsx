// Members: search (name, phone or email, as the API's q does), a filter by kind, and a list read page by page.
import { useState } from 'preact/hooks';
import { type Member } from '../lib/api';
import { localDigits, useI18n } from '../lib/i18n';
import { href } from '../lib/router';
import { ListState, Ltr, Table } from '../lib/ui';
import { usePages } from './forms';

export function fullName(m: Pick<Member, 'given_name' | 'family_name'>, unnamed: string): string {
  return [m.given_name, m.family_name].filter(Boolean).join(' ') || unnamed;
}

export function Members() {
  const i = useI18n();
  const { t } = i;
  const params = new URLSearchParams(location.search);
  const [q, setQ] = useState(params.get('q') ?? '');
  const [kind, setKind] = useState(params.get('kind') ?? '');
  const pages = usePages<Member>((cursor) => {
    const qs = new URLSearchParams({ limit: '50' });
    if (q.trim()) qs.set('q', q.trim());
    if (kind) qs.set('kind', kind);
    if (cursor) qs.set('cursor', cursor);
    return `/api/v1/members?${qs}`;
  }, []);
  const { items, next, error } = pages;
  function load(cursor: string | null) {
    pages.clearError();
    return pages.load(cursor);
  }

  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">{t.members}</h1>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          load(null);
        }}
      >
        <div class="field grow">
          <label for="member-q">{t.searchMembers}</label>
          <input id="member-q" type="search" value={q} placeholder={t.searchHint} dir="auto" onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="member-kind">{t.kind}</label>
          <select id="member-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            <option value="">{t.kindAll}</option>
            <option value="member">{t.kindMember}</option>
            <option value="prospect">{t.kindProspect}</option>
          </select>
        </div>
        <button type="submit">{t.search}</button>
      </form>
      <ListState items={items} error={error} empty={t.noMembers}>
        {(rows) => (
          <Table columns={[t.name, t.phone, t.email, t.tier, [t.points, 'num']]}>
            {rows.map((m) => (
              <tr>
                <td>
                  <a href={href(`/members/${m.id}`)}>{fullName(m, t.unnamed)}</a>
                </td>
                <td>{m.phone && <Ltr>{localDigits(m.phone, i.lang)}</Ltr>}</td>
                <td>{m.email && <Ltr>{m.email}</Ltr>}</td>
                <td>{m.tier ? i.name(m.tier) : '—'}</td>
                <td class="num">{i.num(m.points.available)}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      {next && (
        <button type="button" class="secondary" onClick={() => load(next)}>
          {t.more}
        </button>
      )}
    </section>
  );
}
