// Surveys (docs/surveys.md): the list and a form to write one (titles and questions in both languages: NPS,
// rating, one or several choices, free text); a survey's page invites an audience — everyone or a random sample,
// sized by the planner from the margin of error wanted and the response rate expected — and shows the results:
// coverage against the target with its margin of error, NPS with its 95% interval, ratings and choices.
import { useEffect, useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { href, navigate } from '../lib/router';
import { Alert, Check, errorText, Field, ListState, Loading } from '../lib/ui';
import { useConsole } from './consoleWords';
import { dateOrNull, fieldErrors, Select, TextArea, useList, wholeOrNull } from './forms';
import { SurveyInvite } from './SurveyInvite';
import { SurveyResults } from './SurveyResults';

export interface Question {
  key: string;
  type: string;
  text_en: string;
  text_fa: string;
  required?: boolean;
  options?: { key: string; text_en: string; text_fa: string }[];
}

export interface Survey {
  id: number;
  title_en: string;
  title_fa: string;
  questions: Question[];
  anonymous: boolean;
  k_min: number;
  target_permille: number;
  opens_at: string | null;
  closes_at: string | null;
}

export function surveyTitle(lang: string, s: Pick<Survey, 'title_en' | 'title_fa'>): string {
  return (lang === 'fa' ? s.title_fa || s.title_en : s.title_en || s.title_fa) || '';
}

export function Surveys({ id, canWrite }: { id?: number; canWrite: boolean }) {
  const i = useConsole();
  const { w } = i;
  const list = useList<Survey>('/api/v1/surveys?limit=200');
  return (
    <section aria-labelledby="surveys-title">
      <h1 id="surveys-title">{w.surveys}</h1>
      <ListState items={list.items} error={list.error} empty={w.noSurveys}>
        {(rows) => (
          <ul class="seg-list">
            {rows.map((s) => (
              <li>
                <a href={href(`/surveys/${s.id}`)} aria-current={s.id === id ? 'page' : undefined}>
                  <bdi>{surveyTitle(i.lang, s)}</bdi>
                </a>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      {id === undefined ? (
        canWrite && <SurveyForm onSaved={(s) => (list.reload(), navigate(`/surveys/${s.id}`))} />
      ) : (
        <SurveyView key={id} id={id} canWrite={canWrite} />
      )}
    </section>
  );
}

function SurveyView({ id, canWrite }: { id: number; canWrite: boolean }) {
  const i = useConsole();
  const { t, w } = i;
  const [s, setS] = useState<Survey | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api<Survey>('GET', `/api/v1/surveys/${id}`).then(setS, setError);
  }, [id]);
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!s) return <Loading />;
  return (
    <>
      <h2>
        <bdi>{surveyTitle(i.lang, s)}</bdi>
      </h2>
      <ol>
        {s.questions.map((q) => (
          <li>
            <bdi>{i.lang === 'fa' ? q.text_fa || q.text_en : q.text_en || q.text_fa}</bdi> <span class="muted">({w.questionTypes[q.type] ?? q.type})</span>
          </li>
        ))}
      </ol>
      {canWrite && <SurveyInvite survey={s} onInvited={() => setVersion((v) => v + 1)} />}
      <SurveyResults survey={s} version={version} />
    </>
  );
}

interface QDraft {
  key: string;
  type: string;
  text_en: string;
  text_fa: string;
  required: boolean;
  options: string;
}

const newQuestion = (n: number): QDraft => ({ key: `q${n}`, type: 'nps', text_en: '', text_fa: '', required: true, options: '' });

function questionOf(q: QDraft): Question {
  const out: Question = { key: q.key.trim(), type: q.type, text_en: q.text_en.trim(), text_fa: q.text_fa.trim(), required: q.required };
  if (q.type === 'single' || q.type === 'multiple')
    out.options = q.options
      .split('\n')
      .map((l) => l.split(/[;؛]/).map((x) => x.trim()))
      .filter((p) => p[0])
      .map(([key, en, fa]) => ({ key, text_en: en || key, text_fa: fa || en || key }));
  return out;
}

function SurveyForm({ onSaved }: { onSaved: (s: Survey) => void }) {
  const i = useConsole();
  const { t, w } = i;
  const [titleEn, setTitleEn] = useState('');
  const [titleFa, setTitleFa] = useState('');
  const [anonymous, setAnonymous] = useState(false);
  const [kMin, setKMin] = useState('5');
  const [target, setTarget] = useState('100');
  const [opens, setOpens] = useState('');
  const [closes, setCloses] = useState('');
  const [qs, setQs] = useState<QDraft[]>([newQuestion(1)]);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<string | null>(null);
  const setQ = (n: number, q: Partial<QDraft>) => setQs(qs.map((x, k) => (k === n ? { ...x, ...q } : x)));

  async function save(e: Event) {
    e.preventDefault();
    const body = {
      title_en: titleEn.trim(),
      title_fa: titleFa.trim(),
      anonymous,
      k_min: wholeOrNull(kMin) ?? 5,
      target_permille: wholeOrNull(target) ?? 100,
      opens_at: dateOrNull(opens),
      closes_at: dateOrNull(closes),
      questions: qs.map(questionOf),
    };
    try {
      const s = await api<Survey>('POST', '/api/v1/surveys', { body, idempotencyKey: newKey() });
      setErrs({});
      onSaved(s);
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg(errorText(t, err));
    }
  }

  return (
    <form class="card" aria-labelledby="survey-form-title" onSubmit={save}>
      <h2 id="survey-form-title">{w.newSurvey}</h2>
      {msg && <Alert>{msg}</Alert>}
      <div class="cols">
        <Field label={w.titleEn} value={titleEn} onInput={setTitleEn} required error={errs.title_en} />
        <Field label={w.titleFa} value={titleFa} onInput={setTitleFa} required dirAuto error={errs.title_fa} />
        <Field label={w.kMin} value={kMin} onInput={setKMin} inputMode="numeric" error={errs.k_min} />
        <Field label={w.targetPermille} value={target} onInput={setTarget} inputMode="numeric" error={errs.target_permille} />
        <Field label={w.opensAt} value={opens} onInput={setOpens} hint={w.dateHint} error={errs.opens_at} />
        <Field label={w.closesAt} value={closes} onInput={setCloses} hint={w.dateHint} error={errs.closes_at} />
      </div>
      <Check label={w.anonymous} checked={anonymous} onChange={setAnonymous} />
      <h3>{w.questions}</h3>
      {errs.questions && <p class="error-text">{errs.questions}</p>}
      {qs.map((q, n) => {
        const at = (f: string) => errs[`questions[${n}].${f}`];
        return (
          <fieldset class="question">
            <legend>{w.question(i.num(n + 1))}</legend>
            <div class="cols">
              <Field label={w.questionKey} value={q.key} onInput={(v) => setQ(n, { key: v })} error={at('key')} />
              <Select
                label={w.questionType}
                value={q.type}
                options={Object.entries(w.questionTypes)}
                onChange={(v) => setQ(n, { type: v })}
                error={at('type')}
              />
              <Field label={w.textEn} value={q.text_en} onInput={(v) => setQ(n, { text_en: v })} required error={at('text_en')} />
              <Field label={w.textFa} value={q.text_fa} onInput={(v) => setQ(n, { text_fa: v })} required dirAuto error={at('text_fa')} />
            </div>
            {(q.type === 'single' || q.type === 'multiple') && (
              <TextArea label={w.optionsLabel} value={q.options} onInput={(v) => setQ(n, { options: v })} error={at('options')} />
            )}
            <div class="row">
              <Check label={w.requiredAnswer} checked={q.required} onChange={(v) => setQ(n, { required: v })} />
              {qs.length > 1 && (
                <button type="button" class="link" onClick={() => setQs(qs.filter((_, k) => k !== n))}>
                  {w.removeQuestion}
                </button>
              )}
            </div>
          </fieldset>
        );
      })}
      <div class="row">
        <button type="button" class="secondary" onClick={() => setQs([...qs, newQuestion(qs.length + 1)])}>
          {w.addQuestion}
        </button>
        <button type="submit">{t.save}</button>
      </div>
    </form>
  );
}
