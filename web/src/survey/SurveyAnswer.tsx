// The page a personal survey link /s/TOKEN opens (docs/surveys.md, "Answering"). The server gives this page to a
// browser and the survey as JSON to the same address: the page reads it, shows it in the person's language
// (?lang= first, then the invited person's locale), checks the required questions, posts {"answers": {...}}
// once, and says plainly when the link was used, the survey is closed or the link is not one.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { preferLang, useI18n, type Lang } from '../lib/i18n';
import { Alert, LangSwitch, Loading } from '../lib/ui';
import { surveyEn, surveyFa, type SurveyWords } from './surveyWords';
import './survey.css';

interface Option {
  key: string;
  text_en: string;
  text_fa: string;
}

interface Question {
  key: string;
  type: 'nps' | 'rating' | 'single' | 'multiple' | 'text';
  text_en: string;
  text_fa: string;
  options?: Option[];
  required?: boolean;
}

interface PublicSurvey {
  title_en: string;
  title_fa: string;
  questions: Question[];
  closes_at: string | null;
  anonymous: boolean;
  open: boolean;
  answered: boolean;
  locale?: string;
}

type Value = number | string | string[];
type State =
  | { kind: 'loading' }
  | { kind: 'form'; survey: PublicSurvey }
  | { kind: 'thanks'; survey: PublicSurvey }
  | { kind: 'used'; survey?: PublicSurvey }
  | { kind: 'closed'; survey?: PublicSurvey; closesAt?: string | null; notYet?: boolean }
  | { kind: 'unknown' }
  | { kind: 'error'; message: string };

const words = (l: Lang): SurveyWords => (l === 'fa' ? surveyFa : surveyEn);
const text = (l: Lang, r: { text_en: string; text_fa: string }) => (l === 'fa' ? r.text_fa : r.text_en);
const title = (l: Lang, s: PublicSurvey) => (l === 'fa' ? s.title_fa : s.title_en);

/** The server's limit on a free-text answer, in UTF-8 bytes (SURVEY_ANSWER_TEXT_MAX): a Persian letter takes two. */
const TEXT_MAX_BYTES = 2000;

function isEmpty(v: Value | undefined): boolean {
  return v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

export function SurveyAnswer({ token }: { token: string }) {
  const i = useI18n();
  const w = words(i.lang);
  const [state, setState] = useState<State>({ kind: 'loading' });
  const path = `/s/${encodeURIComponent(token)}`;

  useEffect(() => {
    api<PublicSurvey>('GET', path, { quiet401: true })
      .then((s) => {
        preferLang(s.locale);
        if (s.answered) setState({ kind: 'used', survey: s });
        else if (!s.open) {
          const notYet = !s.closes_at || new Date(s.closes_at).getTime() > Date.now();
          setState({ kind: 'closed', survey: s, closesAt: s.closes_at, notYet });
        } else setState({ kind: 'form', survey: s });
      })
      .catch((e) => setState(e instanceof ApiError && e.status === 404 ? { kind: 'unknown' } : { kind: 'error', message: String(e?.message ?? e) }));
  }, [path]);

  return (
    <div class="survey-page">
      <header class="survey-top">
        <span class="muted">{w.pageLabel}</span>
        <LangSwitch />
      </header>
      <main id="main" class="survey-main">
        {state.kind === 'loading' && <Loading />}
        {state.kind === 'form' && (
          <SurveyForm
            survey={state.survey}
            path={path}
            done={(next) => setState(next)}
          />
        )}
        {state.kind === 'thanks' && (
          <Notice heading={w.thanksTitle} kind="ok" testid="survey-thanks">
            {w.thanksText}
          </Notice>
        )}
        {state.kind === 'used' && (
          <Notice heading={w.usedTitle} testid="survey-used">
            {w.usedText}
          </Notice>
        )}
        {state.kind === 'closed' && (
          <Notice heading={state.notYet ? w.notYetTitle : w.closedTitle} testid="survey-closed">
            {state.notYet ? w.notYetText : state.closesAt ? w.closedOn(i.date(state.closesAt, false)) : w.closedText}
          </Notice>
        )}
        {state.kind === 'unknown' && (
          <Notice heading={w.pageLabel} testid="survey-unknown">
            {w.notALink}
          </Notice>
        )}
        {state.kind === 'error' && <Alert>{state.message || i.t.errorGeneric}</Alert>}
      </main>
    </div>
  );
}

/** A final state: its heading takes the focus, so a screen reader says what happened. */
function Notice(p: { heading: string; kind?: 'ok' | 'info'; testid: string; children: ComponentChildren }) {
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => h.current?.focus(), []);
  return (
    <section class={`survey-notice ${p.kind ?? 'info'}`} data-testid={p.testid}>
      <h1 tabIndex={-1} ref={h}>
        {p.heading}
      </h1>
      <p>{p.children}</p>
    </section>
  );
}

function SurveyForm(p: { survey: PublicSurvey; path: string; done: (s: State) => void }) {
  const i = useI18n();
  const w = words(i.lang);
  const s = p.survey;
  const [values, setValues] = useState<Record<string, Value>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (key: string, v: Value) => {
    setValues((old) => ({ ...old, [key]: v }));
    if (errors[key]) setErrors((old) => ({ ...old, [key]: '' }));
  };

  /** The first question to fix takes the focus; the summary above is announced as an alert. */
  function focusFirst(errs: Record<string, string>) {
    const first = s.questions.find((q) => errs[q.key]);
    if (!first) return;
    const el = document.querySelector<HTMLElement>(`[data-question="${first.key}"] input, [data-question="${first.key}"] textarea`);
    el?.focus();
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    const missing: Record<string, string> = {};
    for (const q of s.questions) {
      const v = values[q.key];
      if (q.required !== false && isEmpty(values[q.key])) missing[q.key] = w.answerThis;
      else if (q.type === 'text' && typeof v === 'string' && new TextEncoder().encode(v.trim()).length > TEXT_MAX_BYTES)
        missing[q.key] = w.tooLong;
    }
    setErrors(missing);
    const n = Object.keys(missing).length;
    if (n) {
      setSummary(w.fixBelow(n));
      focusFirst(missing);
      return;
    }
    setSummary(null);
    const answers: Record<string, Value> = {};
    for (const q of s.questions) {
      const v = values[q.key];
      if (isEmpty(v)) continue;
      answers[q.key] = q.type === 'text' ? String(v).trim() : v;
    }
    setBusy(true);
    try {
      await api('POST', p.path, { body: { answers } });
      p.done({ kind: 'thanks', survey: s });
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.slug === 'link-used') p.done({ kind: 'used', survey: s });
      else if (err instanceof ApiError && err.slug === 'survey-closed') p.done({ kind: 'closed', survey: s, closesAt: s.closes_at });
      else if (err instanceof ApiError && err.status === 404) p.done({ kind: 'unknown' });
      else if (err instanceof ApiError && err.status === 400) {
        const byKey: Record<string, string> = {};
        for (const fe of err.errors) if (fe.field.startsWith('answers.')) byKey[fe.field.slice(8)] = fe.message;
        setErrors(byKey);
        setSummary(err.message);
        focusFirst(byKey);
      } else setSummary(err instanceof ApiError && err.status === 0 ? i.t.errorNetwork : i.t.errorGeneric);
    }
  }

  useEffect(() => {
    document.title = title(i.lang, s);
  }, [i.lang]);

  const count = i.num(s.questions.length);
  return (
    <form class="survey-form" noValidate onSubmit={submit} aria-labelledby="survey-title">
      <h1 id="survey-title" dir="auto">
        {title(i.lang, s)}
      </h1>
      {s.anonymous && <p class="muted">{w.anonymous}</p>}
      {summary && (
        <div class="alert error" role="alert" data-testid="survey-summary">
          {summary}
        </div>
      )}
      {s.questions.map((q, n) => (
        <QuestionField
          key={q.key}
          q={q}
          label={w.questionOf(i.num(n + 1), count)}
          value={values[q.key]}
          error={errors[q.key]}
          onChange={(v) => set(q.key, v)}
        />
      ))}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? w.sending : w.send}
      </button>
    </form>
  );
}

function QuestionField(p: { q: Question; label: string; value: Value | undefined; error?: string; onChange: (v: Value) => void }) {
  const i = useI18n();
  const w = words(i.lang);
  const q = p.q;
  const id = `q-${q.key}`;
  const required = q.required !== false;
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const described = [q.type === 'multiple' || q.type === 'nps' || q.type === 'rating' ? hintId : '', p.error ? errId : '']
    .filter(Boolean)
    .join(' ');
  const legend = (
    <>
      <span class="survey-qnum">{p.label}</span>
      <span class="survey-qtext">{text(i.lang, q)}</span>
      <span class="survey-req">{required ? ` (${w.required})` : ` (${w.optional})`}</span>
    </>
  );
  const err = p.error ? (
    <p id={errId} class="error-text">
      {p.error}
    </p>
  ) : null;

  if (q.type === 'text')
    return (
      <div class={'survey-q' + (p.error ? ' invalid' : '')} data-question={q.key}>
        <label for={id}>{legend}</label>
        <textarea
          id={id}
          name={q.key}
          dir="auto"
          rows={4}
          maxLength={TEXT_MAX_BYTES}
          required={required}
          aria-required={required}
          aria-invalid={p.error ? true : undefined}
          aria-describedby={described || undefined}
          value={typeof p.value === 'string' ? p.value : ''}
          onInput={(e) => p.onChange((e.target as HTMLTextAreaElement).value)}
        />
        {err}
      </div>
    );

  let choices: { value: string | number; label: string }[];
  let hint: string | null = null;
  if (q.type === 'nps') {
    choices = Array.from({ length: 11 }, (_, n) => ({ value: n, label: i.num(n) }));
    hint = `${i.num(0)}: ${w.npsLow} — ${i.num(10)}: ${w.npsHigh}`;
  } else if (q.type === 'rating') {
    choices = Array.from({ length: 5 }, (_, n) => ({ value: n + 1, label: i.num(n + 1) }));
    hint = `${i.num(1)}: ${w.ratingLow} — ${i.num(5)}: ${w.ratingHigh}`;
  } else {
    choices = (q.options ?? []).map((o) => ({ value: o.key, label: text(i.lang, o) }));
    if (q.type === 'multiple') hint = w.chooseAny;
  }
  const scale = q.type === 'nps' || q.type === 'rating';
  const multi = q.type === 'multiple';
  const picked = (v: string | number) => (multi ? Array.isArray(p.value) && p.value.includes(String(v)) : p.value === v);
  return (
    <fieldset
      class={'survey-q' + (p.error ? ' invalid' : '')}
      data-question={q.key}
      aria-describedby={described || undefined}
      aria-required={!multi && required ? true : undefined}
      aria-invalid={p.error ? true : undefined}
    >
      <legend>{legend}</legend>
      {hint && (
        <p id={hintId} class="hint">
          {hint}
        </p>
      )}
      <div class={scale ? 'survey-scale' : 'survey-options'}>
        {choices.map((c) => (
          <label key={String(c.value)} class={picked(c.value) ? 'chosen' : undefined}>
            <input
              type={multi ? 'checkbox' : 'radio'}
              name={q.key}
              value={String(c.value)}
              checked={picked(c.value)}
              onChange={(e) => {
                const on = (e.target as HTMLInputElement).checked;
                if (!multi) p.onChange(c.value);
                else {
                  const now = Array.isArray(p.value) ? p.value.filter((k) => k !== c.value) : [];
                  // keep the question's order, whatever order they were ticked in
                  const next = on ? [...now, String(c.value)] : now;
                  p.onChange(choices.map((x) => String(x.value)).filter((k) => next.includes(k)));
                }
              }}
            />
            <span>{c.label}</span>
          </label>
        ))}
      </div>
      {err}
    </fieldset>
  );
}
