// Plans: the club's plans for six months and a year, each goal with its live figure, where a straight line from
// its baseline to its target says it should stand today, and on track or behind. Managers add plans and goals.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Page } from '../lib/api';
import { asciiDigits, useI18n, type I18n } from '../lib/i18n';
import { Alert, errorText, Field, Loading, Table } from '../lib/ui';
import { can } from './access';
import { usePlanWords, type PlanWords } from './planWords';

const METRICS = ['members', 'active_share', 'repeat_purchase_rate', 'nps', 'survey_coverage', 'liability', 'budget_used'];

interface Goal {
  id: number;
  metric: string;
  target: number;
  due: string;
  baseline: number;
  value: number | null;
  expected: number;
  track: 'on_track' | 'behind' | null;
  note: string | null;
}
interface Plan {
  id: number;
  title: string;
  horizon: string;
  starts: string;
  ends: string;
  goals: Goal[];
}

const round = (n: number) => Math.round(n * 10) / 10;

export function Plans({ role }: { role: string }) {
  const i = useI18n();
  const w = usePlanWords();
  const [plans, setPlans] = useState<Plan[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    setError(null);
    api<Page<Plan>>('GET', '/api/v1/plans').then((p) => setPlans(p.items), setError);
  };
  useEffect(load, []);
  const write = can(role, 'budgetWrite');
  return (
    <section aria-labelledby="plans-title">
      <h1 id="plans-title">{w.plans}</h1>
      {error && <Alert>{errorText(i.t, error)}</Alert>}
      {!plans && !error && <Loading />}
      {plans && plans.length === 0 && <p class="muted">{w.noPlans}</p>}
      {plans?.map((p) => (
        <PlanCard i={i} w={w} plan={p} write={write} reload={load} />
      ))}
      {write && <NewPlan i={i} w={w} reload={load} />}
    </section>
  );
}

function PlanCard(p: { i: I18n; w: PlanWords; plan: Plan; write: boolean; reload: () => void }) {
  const { i, w, plan } = p;
  return (
    <article class="card" data-plan={plan.id} aria-labelledby={`plan-${plan.id}`}>
      <h2 id={`plan-${plan.id}`}>
        <bdi>{plan.title}</bdi>
      </h2>
      <p class="muted">
        {w.horizons[plan.horizon] ?? plan.horizon} · {i.date(plan.starts, false)} – {i.date(plan.ends, false)}
      </p>
      {plan.goals.length === 0 ? (
        <p class="muted">{w.noGoals}</p>
      ) : (
        <Table data-table="goals" columns={[w.metric, w.baseline, w.now, w.expected, w.target, w.due, w.track]}>
          {plan.goals.map((g) => (
            <tr data-goal={g.metric} data-track={g.track ?? 'unknown'}>
              <th scope="row">{w.metrics[g.metric] ?? g.metric}</th>
              <td>{i.num(round(g.baseline))}</td>
              <td>{g.value === null ? '—' : i.num(round(g.value))}</td>
              <td>{i.num(round(g.expected))}</td>
              <td>{i.num(round(g.target))}</td>
              <td>{i.date(g.due, false)}</td>
              <td>
                <strong class={g.track === 'behind' ? 'error-text' : undefined}>
                  {g.track === 'on_track' ? w.onTrack : g.track === 'behind' ? w.behind : w.unknown}
                </strong>
              </td>
            </tr>
          ))}
        </Table>
      )}
      {p.write && <NewGoal i={i} w={w} planId={plan.id} reload={p.reload} />}
    </article>
  );
}

function NewGoal(p: { i: I18n; w: PlanWords; planId: number; reload: () => void }) {
  const { i, w } = p;
  const [metric, setMetric] = useState('members');
  const [target, setTarget] = useState('');
  const [due, setDue] = useState('');
  const [survey, setSurvey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const fieldError = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  async function add(e: Event) {
    e.preventDefault();
    setError(null);
    const body: Record<string, unknown> = { metric, target: Number(asciiDigits(target.trim())), due: asciiDigits(due.trim()) };
    if (survey.trim()) body.survey_id = Number(asciiDigits(survey.trim()));
    try {
      await api('POST', `/api/v1/plans/${p.planId}/goals`, { body });
      setTarget('');
      p.reload();
    } catch (err) {
      setError(err);
    }
  }
  const id = `goal-metric-${p.planId}`;
  return (
    <form class="toolbar" onSubmit={add} aria-label={w.addGoal}>
      <div class="field">
        <label for={id}>{w.metric}</label>
        <select id={id} value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value)}>
          {METRICS.map((m) => (
            <option value={m}>{w.metrics[m]}</option>
          ))}
        </select>
      </div>
      <Field label={w.target} value={target} onInput={setTarget} inputMode="numeric" error={fieldError('target')} name="goal-target" required />
      <Field label={w.due} hint={w.dateHint} value={due} onInput={setDue} error={fieldError('due')} name="goal-due" required />
      {(metric === 'nps' || metric === 'survey_coverage') && (
        <Field label={w.surveyId} value={survey} onInput={setSurvey} inputMode="numeric" error={fieldError('survey_id')} name="goal-survey" />
      )}
      <button type="submit">{w.addGoal}</button>
      {error && !fieldError('target') && !fieldError('due') && !fieldError('survey_id') && <Alert>{errorText(i.t, error)}</Alert>}
    </form>
  );
}

function NewPlan(p: { i: I18n; w: PlanWords; reload: () => void }) {
  const { i, w } = p;
  const [title, setTitle] = useState('');
  const [horizon, setHorizon] = useState('year');
  const [starts, setStarts] = useState('');
  const [ends, setEnds] = useState('');
  const [error, setError] = useState<unknown>(null);
  const fieldError = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  async function add(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api('POST', '/api/v1/plans', {
        body: { title, horizon, starts: asciiDigits(starts.trim()), ends: asciiDigits(ends.trim()) },
      });
      setTitle('');
      p.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card" onSubmit={add} aria-labelledby="new-plan-title">
      <h2 id="new-plan-title">{w.addPlan}</h2>
      {error && !fieldError('title') && !fieldError('starts') && !fieldError('ends') && <Alert>{errorText(i.t, error)}</Alert>}
      <Field label={w.title} value={title} onInput={setTitle} dirAuto error={fieldError('title')} name="plan-title" required />
      <div class="field">
        <label for="plan-horizon">{w.horizon}</label>
        <select id="plan-horizon" value={horizon} onChange={(e) => setHorizon((e.target as HTMLSelectElement).value)}>
          <option value="six_months">{w.horizons.six_months}</option>
          <option value="year">{w.horizons.year}</option>
        </select>
      </div>
      <Field label={w.starts} hint={w.dateHint} value={starts} onInput={setStarts} error={fieldError('starts')} name="plan-starts" required />
      <Field label={w.ends} hint={w.dateHint} value={ends} onInput={setEnds} error={fieldError('ends')} name="plan-ends" required />
      <button type="submit">{w.create}</button>
    </form>
  );
}
