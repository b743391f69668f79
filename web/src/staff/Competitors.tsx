// Competitors: dated notes of what competitors offer, newest first, filtered by competitor; marketers and managers
// write them.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Page } from '../lib/api';
import { asciiDigits, useI18n } from '../lib/i18n';
import { Alert, errorText, Field, Loading } from '../lib/ui';
import { can } from './access';
import { usePlanWords } from './planWords';

interface Note {
  id: number;
  competitor: string;
  offer: string;
  observed_on: string;
  source: string | null;
  written_by: string;
}

export function Competitors({ role }: { role: string }) {
  const i = useI18n();
  const w = usePlanWords();
  const [filter, setFilter] = useState('');
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [competitor, setCompetitor] = useState('');
  const [offer, setOffer] = useState('');
  const [seen, setSeen] = useState('');
  const [source, setSource] = useState('');
  const [formError, setFormError] = useState<unknown>(null);
  const write = can(role, 'competitorWrite');

  const load = (who = filter) => {
    setError(null);
    const q = who.trim() ? `&competitor=${encodeURIComponent(who.trim())}` : '';
    api<Page<Note>>('GET', `/api/v1/competitors?limit=500${q}`).then((p) => setNotes(p.items), setError);
  };
  useEffect(() => load(''), []);

  async function add(e: Event) {
    e.preventDefault();
    setFormError(null);
    try {
      await api('POST', '/api/v1/competitors', {
        body: { competitor, offer, observed_on: asciiDigits(seen.trim()), source: source || null },
      });
      setOffer('');
      setSource('');
      load();
    } catch (err) {
      setFormError(err);
    }
  }
  async function remove(id: number) {
    try {
      await api('DELETE', `/api/v1/competitors/${id}`);
      load();
    } catch (err) {
      setError(err);
    }
  }
  const fieldError = (f: string) => (formError instanceof ApiError ? formError.field(f) : undefined);
  return (
    <section aria-labelledby="competitors-title">
      <h1 id="competitors-title">{w.competitors}</h1>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        <Field label={w.competitor} hint={w.allCompetitors} value={filter} onInput={setFilter} dirAuto name="filter" />
        <button type="submit">{w.filter}</button>
      </form>
      {error && <Alert>{errorText(i.t, error)}</Alert>}
      {!notes && !error && <Loading />}
      {notes && notes.length === 0 && <p class="muted">{w.noNotes}</p>}
      {notes && notes.length > 0 && (
        <div class="table-wrap">
          <table data-table="notes">
            <thead>
              <tr>
                <th scope="col">{w.observedOn}</th>
                <th scope="col">{w.competitor}</th>
                <th scope="col">{w.offer}</th>
                <th scope="col">{w.noteSource}</th>
                <th scope="col">{w.writtenBy}</th>
                {write && <th scope="col" />}
              </tr>
            </thead>
            <tbody>
              {notes.map((n) => (
                <tr>
                  <td>{i.date(n.observed_on + 'T12:00:00Z', false)}</td>
                  <th scope="row">
                    <bdi>{n.competitor}</bdi>
                  </th>
                  <td>
                    <bdi>{n.offer}</bdi>
                  </td>
                  <td>
                    <bdi>{n.source ?? ''}</bdi>
                  </td>
                  <td>
                    <bdi>{n.written_by}</bdi>
                  </td>
                  {write && (
                    <td>
                      <button type="button" class="link" onClick={() => remove(n.id)}>
                        {w.delete}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {write && (
        <form class="card" onSubmit={add} aria-labelledby="add-note-title">
          <h2 id="add-note-title">{w.addNote}</h2>
          {formError && !fieldError('competitor') && !fieldError('offer') && !fieldError('observed_on') && (
            <Alert>{errorText(i.t, formError)}</Alert>
          )}
          <Field label={w.competitor} value={competitor} onInput={setCompetitor} dirAuto error={fieldError('competitor')} name="note-competitor" required />
          <Field label={w.offer} value={offer} onInput={setOffer} dirAuto error={fieldError('offer')} name="note-offer" required />
          <Field label={w.observedOn} hint={w.dateHint} value={seen} onInput={setSeen} error={fieldError('observed_on')} name="note-seen" required />
          <Field label={w.noteSource} value={source} onInput={setSource} dirAuto name="note-source" />
          <button type="submit">{i.t.save}</button>
        </form>
      )}
    </section>
  );
}
