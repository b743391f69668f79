// Segments (docs/segments.md): the saved segments, the builder for a new one or a dynamic one's filter
// (staff/SegmentBuilder.tsx), and a saved segment's members with its CSV download.
import { useEffect, useState } from 'preact/hooks';
import { api, newKey, type Member } from '../lib/api';
import { localDigits } from '../lib/i18n';
import { href, navigate } from '../lib/router';
import { Alert, errorText, ListState, Loading, Ltr } from '../lib/ui';
import { useConsole } from './consoleWords';
import { useList, usePages } from './forms';
import { fullName } from './Members';
import { Builder } from './SegmentBuilder';

export interface Segment {
  id: number;
  name: string;
  description: string | null;
  kind: 'dynamic' | 'static';
  filter: unknown;
  count?: number;
  member_count?: number;
}

export function Segments({ id, canWrite }: { id?: number; canWrite: boolean }) {
  const { w } = useConsole();
  const list = useList<Segment>('/api/v1/segments?limit=200');
  return (
    <section aria-labelledby="segments-title">
      <h1 id="segments-title">{w.segments}</h1>
      <ListState items={list.items} error={list.error} empty={w.noSegments}>
        {(rows) => (
          <ul class="seg-list">
            {rows.map((s) => (
              <li>
                <a href={href(`/segments/${s.id}`)} aria-current={s.id === id ? 'page' : undefined}>
                  <bdi>{s.name}</bdi>
                </a>{' '}
                <span class="muted">({s.kind === 'static' ? w.static : w.dynamic})</span>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      {id === undefined ? (
        canWrite && <Builder key="new" canWrite onSaved={(s) => (list.reload(), navigate(`/segments/${s.id}`))} />
      ) : (
        <SegmentView key={id} id={id} canWrite={canWrite} onChanged={list.reload} />
      )}
    </section>
  );
}

function SegmentView({ id, canWrite, onChanged }: { id: number; canWrite: boolean; onChanged: () => void }) {
  const i = useConsole();
  const { t, w } = i;
  const [seg, setSeg] = useState<Segment | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    api<Segment>('GET', `/api/v1/segments/${id}`).then(setSeg, setError);
  }, [id, n]);
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!seg) return <Loading />;
  async function remove() {
    try {
      await api('DELETE', `/api/v1/segments/${id}`, { idempotencyKey: newKey() });
      onChanged();
      navigate('/segments');
    } catch (e) {
      setError(e);
    }
  }
  return (
    <>
      {seg.kind === 'dynamic' && (canWrite || seg.filter) ? (
        <Builder
          segment={seg}
          canWrite={canWrite}
          onSaved={() => {
            onChanged();
            setN((x) => x + 1);
          }}
        />
      ) : (
        <h2>
          <bdi>{seg.name}</bdi>
        </h2>
      )}
      <div class="row-between">
        <h2 id="seg-members-title">
          {w.segmentMembers}: <span data-testid="segment-count">{i.num(seg.count ?? 0)}</span>
        </h2>
        <div class="row">
          <a class="button secondary" href={`/api/v1/segments/${id}/export`} download={`segment-${id}.csv`}>
            {w.exportCsv}
          </a>
          {canWrite && (
            <button type="button" class="secondary" onClick={remove}>
              {w.deleteSegment}
            </button>
          )}
        </div>
      </div>
      <SegmentMembers id={id} version={n} />
    </>
  );
}

function SegmentMembers({ id, version }: { id: number; version: number }) {
  const i = useConsole();
  const { t } = i;
  const { items, next, error, load } = usePages<Member>(
    (cursor) => `/api/v1/segments/${id}/members?limit=50` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''),
    [id, version],
  );
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!items) return <Loading />;
  if (items.length === 0) return <p>{t.noMembers}</p>;
  return (
    <>
      <div class="table-wrap">
        <table aria-labelledby="seg-members-title" class="seg-members">
          <thead>
            <tr>
              <th scope="col">{t.name}</th>
              <th scope="col">{t.phone}</th>
              <th scope="col" class="num">
                {t.points}
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr>
                <td>
                  <a href={href(`/members/${m.id}`)}>{fullName(m, t.unnamed)}</a>
                </td>
                <td>{m.phone && <Ltr>{localDigits(m.phone, i.lang)}</Ltr>}</td>
                <td class="num">{i.num(m.points.available)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {next && (
        <button type="button" class="secondary" onClick={() => load(next)}>
          {t.more}
        </button>
      )}
    </>
  );
}
