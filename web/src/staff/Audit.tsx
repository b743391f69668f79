// The audit log (owners): every staff and system write, oldest first as the API gives it, a page at a time;
// each entry's before and after can be unfolded.
import { ListState, Ltr, Table } from '../lib/ui';
import { useConsole } from './consoleWords';
import { usePages } from './forms';

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
  const { items, next, error, load } = usePages<Entry>(
    (cursor) => `/api/v1/audit?limit=${PAGE}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''),
    [],
  );
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
