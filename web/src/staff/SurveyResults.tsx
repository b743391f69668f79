// A survey's results (GET /api/v1/surveys/{id}/results): coverage per stratum and in total against the target,
// with the margin of error at 95% (finite population); NPS with its interval; each question's counts, mean and
// satisfaction. Under k_min answers the server hides the answers, and so does this page.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Alert, errorText, Loading } from '../lib/ui';
import { useConsole } from './consoleWords';
import type { Survey } from './Surveys';

interface CoverageRow {
  stratum?: string;
  population: number;
  invited: number;
  answered: number;
  coverage_pct: number;
  target_pct: number;
  meets_target: boolean;
  margin_of_error: number | null;
}

interface Nps {
  n: number;
  promoters: number;
  passives: number;
  detractors: number;
  score: number;
  low: number;
  high: number;
}

interface QuestionResult {
  key: string;
  type: string;
  answers?: number;
  counts?: number[] | Record<string, number>;
  mean?: number | null;
  nps?: Nps | null;
  csat?: number | null;
  texts?: string[];
}

interface Results {
  k_min: number;
  answers: number;
  hidden: boolean;
  nps: Nps | null;
  coverage: { total: CoverageRow; strata: CoverageRow[] };
  questions: QuestionResult[] | null;
}

export function SurveyResults({ survey, version }: { survey: Survey; version: number }) {
  const i = useConsole();
  const { t, w } = i;
  const [r, setR] = useState<Results | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    api<Results>('GET', `/api/v1/surveys/${survey.id}/results`).then(setR, setError);
  }, [survey.id, version, n]);
  const one = (x: number) => new Intl.NumberFormat(i.lang === 'fa' ? 'fa-IR' : 'en-US', { maximumFractionDigits: 1 }).format(x);
  const pct = (x: number) => w.percent(Math.round(x * 10), (v) => one(v));
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!r) return <Loading />;
  // Without strata the one stratum is the total: shown once.
  const strata = r.coverage.strata.length === 1 && r.coverage.strata[0].stratum === 'all' ? [] : r.coverage.strata;
  const rows = [...strata, { ...r.coverage.total, stratum: '' }];
  const text = (q: { text_en: string; text_fa: string }) => (i.lang === 'fa' ? q.text_fa || q.text_en : q.text_en || q.text_fa);
  return (
    <section class="card" aria-labelledby="results-title">
      <div class="row-between">
        <h3 id="results-title">{w.results}</h3>
        <div class="row">
          <button type="button" class="secondary" onClick={() => setN((x) => x + 1)}>
            {w.refreshResults}
          </button>
          {!r.hidden && r.answers > 0 && (
            <a class="button secondary" href={`/api/v1/surveys/${survey.id}/export`} download={`survey-${survey.id}.csv`}>
              {w.exportAnswers}
            </a>
          )}
        </div>
      </div>
      <div class="table-wrap">
        <table class="coverage">
          <caption class="muted">{w.coverage}</caption>
          <thead>
            <tr>
              <th scope="col">{w.stratum}</th>
              <th scope="col" class="num">{w.population}</th>
              <th scope="col" class="num">{w.invitedCol}</th>
              <th scope="col" class="num">{w.answered}</th>
              <th scope="col" class="num">{w.coveragePct}</th>
              <th scope="col" class="num">{w.targetPct}</th>
              <th scope="col" class="num">{w.margin}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr data-stratum={c.stratum || 'total'}>
                <th scope="row">{c.stratum ? w.classes[c.stratum] ?? c.stratum : t.kindAll}</th>
                <td class="num">{i.num(c.population)}</td>
                <td class="num">{i.num(c.invited)}</td>
                <td class="num">{i.num(c.answered)}</td>
                <td class="num">
                  {pct(c.coverage_pct)} {c.meets_target ? '✓' : ''}
                </td>
                <td class="num">{pct(c.target_pct)}</td>
                <td class="num" data-testid={c.stratum ? undefined : 'margin'}>
                  {c.margin_of_error === null ? '—' : w.plusMinus(pct(c.margin_of_error * 100))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {r.hidden ? (
        <p class="muted">{w.hiddenResults(i.num(r.k_min))}</p>
      ) : (
        <>
          <p>
            {w.answers}: {i.num(r.answers)}
          </p>
          {r.nps && (
            <p class="big-line" data-testid="nps">
              <strong>{w.npsLine(one(r.nps.score), one(r.nps.low), one(r.nps.high))}</strong>
              <br />
              <span class="muted">{w.npsParts(i.num(r.nps.promoters), i.num(r.nps.passives), i.num(r.nps.detractors))}</span>
            </p>
          )}
          {(r.questions ?? []).map((qr) => {
            const q = survey.questions.find((x) => x.key === qr.key);
            if (!q) return null;
            const counts: [string, number][] = Array.isArray(qr.counts)
              ? qr.counts.map((c, k) => [i.num(qr.type === 'nps' ? k : k + 1), c])
              : Object.entries(qr.counts ?? {}).map(([k, c]) => {
                  const o = q.options?.find((x) => x.key === k);
                  return [o ? text(o) : k, c];
                });
            return (
              <div class="question-result" data-question={qr.key}>
                <h4>
                  <bdi>{text(q)}</bdi>
                </h4>
                {qr.mean != null && (
                  <p>
                    {w.mean}: {one(qr.mean)}
                    {qr.csat != null && ` · ${w.csat}: ${pct(qr.csat)}`}
                  </p>
                )}
                {counts.length > 0 && (
                  <table class="counts">
                    <tbody>
                      {counts.map(([label, c]) => (
                        <tr>
                          <th scope="row">{label}</th>
                          <td class="num">{i.num(c)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                {qr.texts && qr.texts.length > 0 && (
                  <ul>
                    {qr.texts.map((x) => (
                      <li>
                        <bdi>{x}</bdi>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            );
          })}
        </>
      )}
    </section>
  );
}
