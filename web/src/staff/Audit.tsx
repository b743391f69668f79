// The audit log (owners): every staff and system write, oldest first as the API gives it, a page at a time;
// each entry's before and after can be unfolded.
import { useEffect, useState } from 'preact/hooks';
import { api, type Page } from '../lib/api';
import { ListState, Ltr, Table } from '../lib/ui';
import { useConsole } from './consoleWords';

interface Entry {
  id: number;
  at: string;
  actor: { kind: string; id: number | null; name: string };
  action: string;
  target: { type: string; id: number | null };
  before: unknown;
  after: unknown;
}

const PAGE = 100;

export function Audit() {
  const i = useConsole();
  const { t, w } = i;
  const [items, setItems] = useState<Entry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function load(cursor: string | null) {
    try {
      const p = await api<Page<Entry>>('GET', `/api/v1/audit?limit=${PAGE}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
      setItems((old) => (cursor && old ? [...old, ...p.items] : p.items));
      setNext(p.next_cursor);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    load(null);
  }, []);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{w.audit}</h1>
      <ListState items={items} error={error} empty={w.noAudit}>
        {(rows) => (
          <Table class="audit" columns={[w.at, w.actor, w.action, w.target, w.change]}>
            {rows.map((e) => (
              <tr data-action={e.action}>
                <td>{i.date(e.at)}</td>
                <td>
                  <Ltr>{`${e.actor.kind}:${e.actor.name}`}</Ltr>
                </td>
                <td>
                  <Ltr>{e.action}</Ltr>
                </td>
                <td>
                  <Ltr>{e.target.id === null ? e.target.type : `${e.target.type} ${e.target.id}`}</Ltr>
                </td>
                <td>
                  {(e.before != null || e.after != null) && (
                    <details>
                      <summary>{w.showChange}</summary>
                      <pre class="ltr" dir="ltr">
                        {JSON.stringify({ before: e.before, after: e.after }, null, 1)}
                      </pre>
                    </details>
                  )}
                </td>
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
