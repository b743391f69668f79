// Inviting to a survey: the audience (every member, a class, a segment, the contacts), everyone or a random
// sample (a number or a share; a seed makes the draw repeatable), strata, and the planner: from the people in the
// audience, the margin of error wanted and the response rate expected, how many to invite (GET /surveys/plan).
import { useEffect, useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { asciiDigits } from '../lib/i18n';
import { Alert, errorText, Field } from '../lib/ui';
import { useConsole } from './consoleWords';
import { fieldErrors, Select, useList, wholeOrNull } from './forms';
import type { Survey } from './Surveys';

interface Plan {
  population: number;
  answers_needed: number;
  invite: number;
  capped: boolean;
}

interface Report {
  seed: number;
  drawn: number;
  invited: number;
  unreachable: number;
  already_invited: number;
}

const CLASSES = ['new', 'main', 'occasional', 'at_risk', 'lapsed', 'prospect'];

function percent(s: string): number {
  return Number(asciiDigits(s).replace('٫', '.').trim()) / 100;
}

export function SurveyInvite({ survey, onInvited }: { survey: Survey; onInvited: () => void }) {
  const i = useConsole();
  const { t, w } = i;
  const [audience, setAudience] = useState('all');
  const [cls, setCls] = useState('main');
  const [segment, setSegment] = useState('');
  const [sampling, setSampling] = useState('all');
  const [count, setCount] = useState('');
  const [share, setShare] = useState('10');
  const [seed, setSeed] = useState('');
  const [strata, setStrata] = useState('none');
  const [population, setPopulation] = useState<number | null>(null);
  const [margin, setMargin] = useState('5');
  const [rate, setRate] = useState('30');
  const [plan, setPlan] = useState<Plan | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<string | null>(null);
  const segments = useList<{ id: number; name: string }>('/api/v1/segments?limit=200');

  // The audience's size, for the planner: members through the segment count, a segment by its own count.
  useEffect(() => {
    setPopulation(null);
    let gone = false;
    const done = (n: number) => !gone && setPopulation(n);
    if (audience === 'all') api<{ count: number }>('POST', '/api/v1/segments/count', { body: { filter: { all: [] } } }).then((r) => done(r.count), () => {});
    else if (audience === 'class')
      api<{ count: number }>('POST', '/api/v1/segments/count', { body: { filter: { field: 'class', op: 'eq', value: cls } } }).then((r) => done(r.count), () => {});
    else if (audience === 'segment' && segment) api<{ count: number }>('GET', `/api/v1/segments/${segment}`).then((r) => done(r.count), () => {});
    return () => {
      gone = true;
    };
  }, [audience, cls, segment]);

  useEffect(() => {
    setPlan(null);
    const e = percent(margin), r = percent(rate);
    if (!population || !(e > 0) || !(r > 0)) return;
    const q = new URLSearchParams({ population: String(population), margin_of_error: String(e), response_rate: String(Math.min(1, r)) });
    const timer = setTimeout(() => api<Plan>('GET', `/api/v1/surveys/plan?${q}`).then(setPlan, () => {}), 250);
    return () => clearTimeout(timer);
  }, [population, margin, rate]);

  async function invite(e: Event) {
    e.preventDefault();
    const body: Record<string, unknown> = {
      audience:
        audience === 'all'
          ? { members: 'all' }
          : audience === 'class'
            ? { class: cls }
            : audience === 'segment'
              ? { segment: Number(segment) }
              : { contact_kind: 'all' },
      stratify_by: strata,
    };
    if (sampling === 'count') body.sample = { count: wholeOrNull(count) };
    if (sampling === 'share') body.sample = { share: percent(share) };
    const sd = wholeOrNull(seed);
    if (sd !== null) body.seed = sd;
    setMsg(null);
    try {
      const r = await api<Report>('POST', `/api/v1/surveys/${survey.id}/invitations`, { body, idempotencyKey: newKey() });
      setReport(r);
      setErrs({});
      onInvited();
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg(errorText(t, err));
    }
  }

  const audiences: [string, string][] = Object.entries(w.audiences);
  return (
    <form class="card" aria-labelledby="invite-title" onSubmit={invite}>
      <h3 id="invite-title">{w.invite}</h3>
      {msg && <Alert>{msg}</Alert>}
      {report && (
        <Alert kind="ok">
          <span data-testid="invite-report">
            {w.invited(i.num(report.invited), i.num(report.drawn), i.num(report.unreachable), i.num(report.already_invited), String(report.seed))}
          </span>
        </Alert>
      )}
      <div class="cols">
        <Select label={w.audience} value={audience} options={audiences} onChange={setAudience} error={errs.audience} />
        {audience === 'class' && (
          <Select label={w.className} value={cls} options={CLASSES.map((c) => [c, w.classes[c]])} onChange={setCls} error={errs['audience.class']} />
        )}
        {audience === 'segment' && (
          <Select
            label={w.segmentId}
            value={segment}
            options={[['', '—'], ...(segments.items ?? []).map((s) => [String(s.id), s.name] as [string, string])]}
            onChange={setSegment}
            error={errs['audience.segment']}
          />
        )}
        <Select label={w.sampling} value={sampling} options={Object.entries(w.samplings)} onChange={setSampling} />
        {sampling === 'count' && <Field label={w.sampleCount} value={count} onInput={setCount} inputMode="numeric" error={errs['sample.count']} />}
        {sampling === 'share' && <Field label={w.sampleShare} value={share} onInput={setShare} inputMode="numeric" error={errs['sample.share']} />}
        <Select
          label={w.stratifyBy}
          value={strata}
          options={(audience === 'contacts' ? ['none', 'kind'] : ['none', 'class']).map((s) => [s, w.stratas[s]])}
          onChange={setStrata}
          error={errs.stratify_by}
        />
        <Field label={w.seed} value={seed} onInput={setSeed} inputMode="numeric" hint={w.seedHint} error={errs.seed} />
      </div>
      {audience !== 'contacts' && (
        <fieldset>
          <legend>{w.planner}</legend>
          <p>
            {w.population}: <strong data-testid="population">{population === null ? '…' : i.num(population)}</strong>
          </p>
          <div class="cols">
            <Field label={w.marginWanted} value={margin} onInput={setMargin} inputMode="numeric" />
            <Field label={w.responseRate} value={rate} onInput={setRate} inputMode="numeric" />
          </div>
          {plan && (
            <div class="row" role="status" aria-live="polite">
              <span data-testid="plan" data-invite={plan.invite}>
                {w.planSays(i.num(plan.answers_needed), i.num(plan.invite))} {plan.capped && w.planCapped}
              </span>
              <button
                type="button"
                class="secondary"
                onClick={() => {
                  setSampling('count');
                  setCount(String(plan.invite));
                }}
              >
                {w.usePlan}
              </button>
            </div>
          )}
        </fieldset>
      )}
      <button type="submit">{w.invite}</button>
    </form>
  );
}
