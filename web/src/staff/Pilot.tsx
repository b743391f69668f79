// A campaign's field study: the pilot's sizes, seed and strata with what they can detect before the draw (the
// minimum detectable effect), the draw, the evaluation (each arm, the difference with its 95% interval, the p-value,
// the sample-ratio check and a verdict in plain words), the manager's decision and the roll-out with its holdout.
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { asciiDigits, useI18n, type I18n } from '../lib/i18n';
import { Alert, errorText, Field } from '../lib/ui';
import { useCampaignWords } from './campaignWords';
import type { Campaign } from './Campaigns';

interface Wave {
  id: number;
  kind: string;
  seed: number;
  audience_size: number;
  treated: number;
  control: number;
  strata: Record<string, number | string>[];
}

export interface PilotState {
  waves: Wave[];
  decisions: { decision: string; reason: string; actor: string; at: string }[];
}

interface Mde {
  kind: string;
  baseline: { n: number; value: number; sd: number } | null;
  mde: number | null;
  audience_size: number;
}

interface Evaluation {
  kind: string;
  test: string;
  treated: { arm: string; n: number; value: number | null };
  control: { arm: string; n: number; value: number | null };
  difference: number | null;
  ci95: [number | null, number | null];
  p_value: number | null;
  significant: boolean;
  srm: { expected_ratio: number; observed_ratio: number; p_value: number; flag: boolean };
  incremental_revenue_minor: number;
}

/** "200" is a count, "0.05" a share (Persian digits and the Persian decimal separator are accepted). */
function size(s: string): { count: number } | { share: number } {
  const v = asciiDigits(s).replace('٫', '.').trim();
  return v.includes('.') ? { share: Number(v) } : { count: Number(v) };
}

function fmt(i: I18n, v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '—';
  return new Intl.NumberFormat(i.lang === 'fa' ? 'fa-IR' : 'en-US', { maximumFractionDigits: digits }).format(v);
}

export function FieldStudy(p: { campaign: Campaign; state: PilotState; canWrite: boolean; canDecide: boolean; onChange: () => void }) {
  const i = useI18n();
  const w = useCampaignWords();
  const c = p.campaign;
  const base = `/api/v1/campaigns/${c.id}`;
  const [sample, setSample] = useState('0.05');
  const [control, setControl] = useState('0.05');
  const [seed, setSeed] = useState('');
  const [stratify, setStratify] = useState('class');
  const [mde, setMde] = useState<Mde | null>(null);
  const [ev, setEv] = useState<Evaluation | null>(null);
  const [decision, setDecision] = useState('roll_out');
  const [reason, setReason] = useState('');
  const [holdout, setHoldout] = useState('0.05');
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const last = p.state.decisions[p.state.decisions.length - 1];

  async function run(fn: () => Promise<void>) {
    setError(null);
    setNote(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    }
  }
  const preview = () =>
    run(async () => {
      const q = new URLSearchParams({ sample: asciiDigits(sample), control: asciiDigits(control) });
      setMde(await api<Mde>('GET', `${base}/pilot/preview?${q}`));
    });
  const draw = () =>
    run(async () => {
      const body: Record<string, unknown> = { sample: size(sample), control: size(control), stratify_by: stratify };
      if (seed.trim()) body.seed = Number(asciiDigits(seed));
      const r = await api<{ seed: number; mde: Mde }>('POST', `${base}/pilot`, { body });
      setMde(r.mde);
      p.onChange();
      setNote(w.drawn(i.num(r.seed)));
    });
  const evaluate = () =>
    run(async () => {
      setEv(await api<Evaluation>('GET', `${base}/evaluation`));
    });
  const decide = () =>
    run(async () => {
      await api('POST', `${base}/decision`, { body: { decision, reason } });
      p.onChange();
      setNote(w.decided);
    });
  const rollOut = () =>
    run(async () => {
      const r = await api<{ rollout: number; holdout: number }>('POST', `${base}/rollout`, { body: { holdout: size(holdout) } });
      p.onChange();
      setNote(w.rolledOut(i.num(r.rollout), i.num(r.holdout)));
    });

  const verdict = !ev || ev.difference === null || ev.p_value === null
    ? w.verdictNone
    : ev.significant
      ? ev.difference > 0
        ? w.verdictBetter
        : w.verdictWorse
      : w.verdictUnclear;
  return (
    <section aria-labelledby="pilot-title">
      <h2 id="pilot-title">{w.pilot}</h2>
      <p class="muted">{w.pilotHelp}</p>
      {error != null && <Alert>{errorText(i.t, error)}</Alert>}
      {note && <Alert kind="ok">{note}</Alert>}
      {p.canWrite && (c.state === 'draft' || c.state === 'pilot') && (
        <form onSubmit={(e) => { e.preventDefault(); draw(); }}>
          <Field label={w.sample} value={sample} onInput={setSample} inputMode="text" />
          <Field label={w.control} value={control} onInput={setControl} inputMode="text" />
          <Field label={w.seed} value={seed} onInput={setSeed} inputMode="numeric" />
          <div class="field">
            <label for="pilot-stratify">{w.stratifyBy}</label>
            <select id="pilot-stratify" value={stratify} onChange={(e) => setStratify((e.target as HTMLSelectElement).value)}>
              <option value="class">{w.stratifyClass}</option>
              <option value="none">{w.stratifyNone}</option>
            </select>
          </div>
          <button type="button" class="secondary" onClick={preview}>
            {w.preview}
          </button>{' '}
          <button type="submit">{w.draw}</button>
        </form>
      )}
      {mde && (
        <dl class="facts" id="pilot-mde">
          {mde.audience_size !== undefined && (
            <>
              <dt>{w.audienceLeft}</dt>
              <dd>{i.num(mde.audience_size)}</dd>
            </>
          )}
          <dt>{w.baseline}</dt>
          <dd>{mde.baseline ? fmt(i, mde.baseline.value) : '—'}</dd>
          <dt>{w.mde}</dt>
          <dd data-mde={mde.mde ?? ''}>{mde.mde === null ? w.mdeUnknown : fmt(i, mde.mde)}</dd>
        </dl>
      )}
      {p.state.waves.length > 0 && (
        <>
          <h3>{w.waves}</h3>
          <div class="table-wrap">
            <table id="pilot-waves">
              <thead>
                <tr>
                  <th scope="col">{w.wave}</th>
                  <th scope="col">{w.kind}</th>
                  <th scope="col">{w.seedShort}</th>
                  <th scope="col" class="num">{w.population}</th>
                  <th scope="col" class="num">{w.treated}</th>
                  <th scope="col" class="num">{w.controlShort}</th>
                </tr>
              </thead>
              <tbody>
                {p.state.waves.map((v) => (
                  <tr>
                    <td>{i.num(v.id)}</td>
                    <td>{v.kind === 'pilot' ? w.pilot : w.rollout}</td>
                    <td>{i.num(v.seed)}</td>
                    <td class="num">{i.num(v.audience_size)}</td>
                    <td class="num" data-treated={v.treated}>{i.num(v.treated)}</td>
                    <td class="num" data-control={v.control}>{i.num(v.control)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>{w.evaluation}</h3>
          <button type="button" onClick={evaluate}>
            {w.evaluate}
          </button>
        </>
      )}
      {ev && (
        <div class="table-wrap">
          <table id="evaluation">
            <thead>
              <tr>
                <th scope="col">{w.arm}</th>
                <th scope="col" class="num">{w.members}</th>
                <th scope="col" class="num">{w.value}</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>{w.pilot}</td>
                <td class="num">{i.num(ev.treated.n)}</td>
                <td class="num">{fmt(i, ev.treated.value)}</td>
              </tr>
              <tr>
                <td>{w.controlShort}</td>
                <td class="num">{i.num(ev.control.n)}</td>
                <td class="num">{fmt(i, ev.control.value)}</td>
              </tr>
            </tbody>
          </table>
          <dl class="facts">
            <dt>{w.difference}</dt>
            <dd>{fmt(i, ev.difference)}</dd>
            <dt>{w.ci95}</dt>
            <dd>
              [{fmt(i, ev.ci95[0])}، {fmt(i, ev.ci95[1])}]
            </dd>
            <dt>{w.pValue}</dt>
            <dd data-p={ev.p_value ?? ''}>{fmt(i, ev.p_value)}</dd>
            <dt>{w.test}</dt>
            <dd>{ev.test === 'welch' ? 'Welch t' : 'z'}</dd>
            <dt>{w.incremental}</dt>
            <dd>{i.num(ev.incremental_revenue_minor)}</dd>
          </dl>
          <Alert kind={ev.srm.flag ? 'error' : 'ok'}>
            {w.srm}: {ev.srm.flag ? w.srmBroken : w.srmOk}
          </Alert>
          <p class="verdict" id="verdict">
            {verdict}
          </p>
        </div>
      )}
      {p.canDecide && p.state.waves.length > 0 && ['pilot', 'evaluating'].includes(c.state) && (
        <form onSubmit={(e) => { e.preventDefault(); decide(); }}>
          <h3>{w.decision}</h3>
          <div class="field">
            <label for="pilot-decision">{w.decision}</label>
            <select id="pilot-decision" value={decision} onChange={(e) => setDecision((e.target as HTMLSelectElement).value)}>
              {Object.keys(w.decisions).map((k) => (
                <option value={k}>{w.decisions[k]}</option>
              ))}
            </select>
          </div>
          <Field label={w.reason} value={reason} onInput={setReason} required dirAuto />
          <button type="submit">{w.decide}</button>
        </form>
      )}
      {p.canDecide && last?.decision === 'roll_out' && ['pilot', 'evaluating'].includes(c.state) && (
        <form onSubmit={(e) => { e.preventDefault(); rollOut(); }}>
          <h3>{w.rollout}</h3>
          <Field label={w.holdout} value={holdout} onInput={setHoldout} />
          <button type="submit">{w.rollOut}</button>
        </form>
      )}
    </section>
  );
}
