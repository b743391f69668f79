// Budget: the money report of a period of the club's calendar (cost against budget by category, with a chart; the
// points liability; each campaign's cost, measured effect and return on cost), the period's budget lines and its
// costs. Managers add and delete lines and post costs by hand; marketers and analysts read.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, newKey, type Page, type Programme } from '../lib/api';
import { FigureChart } from '../lib/chart';
import { asciiDigits, localDigits, useI18n, type I18n } from '../lib/i18n';
import { Alert, errorText, Field, Loading, Ltr, Table } from '../lib/ui';
import { can } from './access';
import { currentYear, usePlanWords, type PlanWords } from './planWords';

const CATEGORIES = ['gifts', 'messages', 'staff', 'events', 'software', 'points', 'other'];

interface CategoryRow {
  category: string;
  planned_minor: number;
  actual_minor: number;
  remaining_minor: number;
}
interface CampaignRow {
  id: number;
  name: string;
  cost_minor: number;
  incremental_revenue_minor: number | null;
  return_on_cost: number | null;
  effect: { difference?: number; p_value?: number; metric?: string } | null;
}
interface Report {
  period: string;
  currency: string;
  categories: CategoryRow[];
  total: CategoryRow;
  liability: { points: number; money_minor: number };
  campaigns: CampaignRow[];
}
interface Line {
  id: number;
  category: string;
  period: string;
  planned_minor: number;
  actual_minor: number;
  note: string | null;
}
interface Cost {
  id: number;
  category: string;
  amount_minor: number;
  at: string;
  source: string;
  note: string | null;
}
type ProgrammeCal = Programme & { calendar: string };

export function Budget({ role }: { role: string }) {
  const i = useI18n();
  const w = usePlanWords();
  const [prog, setProg] = useState<ProgrammeCal | null>(null);
  const [period, setPeriod] = useState('');
  const [shown, setShown] = useState('');
  const [report, setReport] = useState<Report | null>(null);
  const [lines, setLines] = useState<Line[]>([]);
  const [costs, setCosts] = useState<Cost[]>([]);
  const [error, setError] = useState<unknown>(null);

  async function load(p: string) {
    setError(null);
    try {
      const q = encodeURIComponent(p);
      const [r, l, c] = await Promise.all([
        api<Report>('GET', `/api/v1/budget/report?period=${q}`),
        api<Page<Line>>('GET', `/api/v1/budget?period=${q}`),
        api<Page<Cost>>('GET', `/api/v1/budget/costs?period=${q}&limit=50`),
      ]);
      setReport(r);
      setLines(l.items);
      setCosts(c.items);
      setShown(p);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    api<ProgrammeCal>('GET', '/api/v1/programme').then((p) => {
      setProg(p);
      const y = currentYear(p.calendar);
      setPeriod(y);
      load(y);
    }, setError);
  }, []);

  if (!prog) return error ? <Alert>{errorText(i.t, error)}</Alert> : <Loading />;
  const money = (m: number) => i.money(m, prog.currency, prog.currency_minor_units);
  const write = can(role, 'budgetWrite');
  return (
    <section aria-labelledby="budget-title">
      <h1 id="budget-title">{w.budget}</h1>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          load(asciiDigits(period.trim()));
        }}
      >
        <Field label={w.period} hint={w.periodHint} value={period} onInput={setPeriod} name="period" />
        <button type="submit">{w.show}</button>
      </form>
      {error && <Alert>{errorText(i.t, error)}</Alert>}
      {report && <ReportView i={i} w={w} report={report} money={money} />}
      {report && <Lines i={i} w={w} lines={lines} money={money} write={write} period={shown} reload={() => load(shown)} />}
      {report && <Costs i={i} w={w} costs={costs} money={money} write={write} reload={() => load(shown)} />}
    </section>
  );
}

function ReportView(p: { i: I18n; w: PlanWords; report: Report; money: (m: number) => string }) {
  const { i, w, report, money } = p;
  return (
    <>
      <dl class="tiles">
        <div class="tile" data-figure="planned">
          <dt>{w.planned}</dt>
          <dd>{money(report.total.planned_minor)}</dd>
        </div>
        <div class="tile" data-figure="actual">
          <dt>{w.actual}</dt>
          <dd>{money(report.total.actual_minor)}</dd>
        </div>
        <div class="tile" data-figure="liability">
          <dt>{w.liability}</dt>
          <dd>{money(report.liability.money_minor)}</dd>
          <small class="muted">{w.liabilityPoints(i.num(report.liability.points))}</small>
        </div>
      </dl>
      <div class="charts">
        <figure class="card">
          <figcaption>{w.actualByCategory}</figcaption>
          <FigureChart
            kind="bar"
            label={w.actualByCategory}
            labels={report.categories.map((c) => w.categories[c.category] ?? c.category)}
            values={report.categories.map((c) => c.actual_minor)}
          />
        </figure>
      </div>
      <h2>{w.plannedVsActual}</h2>
      <Table data-table="report" columns={[w.category, w.planned, w.actual, w.remaining]}>
        {report.categories.map((c) => (
          <tr data-category={c.category}>
            <th scope="row">{w.categories[c.category] ?? c.category}</th>
            <td>{money(c.planned_minor)}</td>
            <td>{money(c.actual_minor)}</td>
            <td>{money(c.remaining_minor)}</td>
          </tr>
        ))}
      </Table>
      <h2>{w.campaigns}</h2>
      {report.campaigns.length === 0 ? (
        <p class="muted">{w.noCampaigns}</p>
      ) : (
        <Table data-table="campaigns" columns={[w.campaign, w.cost, w.effect, w.incrementalRevenue, w.returnOnCost]}>
          {report.campaigns.map((c) => (
            <tr>
              <th scope="row">
                <bdi>{c.name}</bdi>
              </th>
              <td>{money(c.cost_minor)}</td>
              <td>{c.effect && typeof c.effect.difference === 'number' ? i.num(c.effect.difference) : w.noEffect}</td>
              <td>{c.incremental_revenue_minor === null ? '—' : money(c.incremental_revenue_minor)}</td>
              <td>{c.return_on_cost === null ? '—' : i.num(Math.round(c.return_on_cost * 100) / 100)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function CategorySelect(p: { w: PlanWords; value: string; onChange: (v: string) => void; id: string }) {
  return (
    <div class="field">
      <label for={p.id}>{p.w.category}</label>
      <select id={p.id} value={p.value} onChange={(e) => p.onChange((e.target as HTMLSelectElement).value)}>
        {CATEGORIES.map((c) => (
          <option value={c}>{p.w.categories[c]}</option>
        ))}
      </select>
    </div>
  );
}

function Lines(p: {
  i: I18n;
  w: PlanWords;
  lines: Line[];
  money: (m: number) => string;
  write: boolean;
  period: string;
  reload: () => void;
}) {
  const { i, w } = p;
  const [category, setCategory] = useState('gifts');
  const [period, setPeriod] = useState(p.period);
  const [planned, setPlanned] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => setPeriod(p.period), [p.period]);
  async function add(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api('POST', '/api/v1/budget', {
        body: { category, period: asciiDigits(period.trim()), planned_minor: Number(asciiDigits(planned.trim())), note: note || null },
      });
      setPlanned('');
      setNote('');
      p.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function remove(id: number) {
    try {
      await api('DELETE', `/api/v1/budget/${id}`);
      p.reload();
    } catch (err) {
      setError(err);
    }
  }
  const fieldError = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  return (
    <>
      <h2>{w.lines}</h2>
      {p.lines.length === 0 ? (
        <p class="muted">{w.noLines}</p>
      ) : (
        <div class="table-wrap">
          <table data-table="lines">
            <thead>
              <tr>
                <th scope="col">{w.category}</th>
                <th scope="col">{w.period}</th>
                <th scope="col">{w.planned}</th>
                <th scope="col">{w.actual}</th>
                <th scope="col">{w.note}</th>
                {p.write && <th scope="col" />}
              </tr>
            </thead>
            <tbody>
              {p.lines.map((l) => (
                <tr>
                  <th scope="row">{w.categories[l.category] ?? l.category}</th>
                  <td>
                    <Ltr>{localDigits(l.period, i.lang)}</Ltr>
                  </td>
                  <td>{p.money(l.planned_minor)}</td>
                  <td>{p.money(l.actual_minor)}</td>
                  <td>
                    <bdi>{l.note ?? ''}</bdi>
                  </td>
                  {p.write && (
                    <td>
                      <button type="button" class="link" onClick={() => remove(l.id)}>
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
      {p.write && (
        <form class="card" onSubmit={add} aria-labelledby="add-line-title">
          <h3 id="add-line-title">{w.addLine}</h3>
          {error && !fieldError('category') && !fieldError('period') && !fieldError('planned_minor') && (
            <Alert>{errorText(i.t, error)}</Alert>
          )}
          <CategorySelect w={w} value={category} onChange={setCategory} id="line-category" />
          <Field label={w.period} value={period} onInput={setPeriod} error={fieldError('period')} name="line-period" />
          <Field label={w.plannedAmount} value={planned} onInput={setPlanned} inputMode="numeric" error={fieldError('planned_minor')} name="line-planned" required />
          <Field label={w.note} value={note} onInput={setNote} dirAuto name="line-note" />
          <button type="submit">{i.t.save}</button>
        </form>
      )}
    </>
  );
}

function Costs(p: { i: I18n; w: PlanWords; costs: Cost[]; money: (m: number) => string; write: boolean; reload: () => void }) {
  const { i, w } = p;
  const [category, setCategory] = useState('staff');
  const [amount, setAmount] = useState('');
  const [date, setDate] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  async function add(e: Event) {
    e.preventDefault();
    setError(null);
    const body: Record<string, unknown> = { category, amount_minor: Number(asciiDigits(amount.trim())), note: note || null };
    if (date.trim()) body.at = asciiDigits(date.trim());
    try {
      await api('POST', '/api/v1/budget/costs', { body, idempotencyKey: newKey() });
      setAmount('');
      setNote('');
      p.reload();
    } catch (err) {
      setError(err);
    }
  }
  const fieldError = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);
  return (
    <>
      <h2>{w.costs}</h2>
      {p.costs.length === 0 ? (
        <p class="muted">{w.noCosts}</p>
      ) : (
        <Table data-table="costs" columns={[w.date, w.category, w.amount, w.source, w.note]}>
          {p.costs.map((c) => (
            <tr>
              <td>{i.date(c.at, false)}</td>
              <td>{w.categories[c.category] ?? c.category}</td>
              <td>{p.money(c.amount_minor)}</td>
              <td>{w.sources[c.source] ?? c.source}</td>
              <td>
                <bdi>{c.note ?? ''}</bdi>
              </td>
            </tr>
          ))}
        </Table>
      )}
      {p.write && (
        <form class="card" onSubmit={add} aria-labelledby="add-cost-title">
          <h3 id="add-cost-title">{w.addCost}</h3>
          {error && !fieldError('amount_minor') && !fieldError('at') && <Alert>{errorText(i.t, error)}</Alert>}
          <CategorySelect w={w} value={category} onChange={setCategory} id="cost-category" />
          <Field label={w.amount} value={amount} onInput={setAmount} inputMode="numeric" error={fieldError('amount_minor')} name="cost-amount" required />
          <Field label={w.date} hint={w.dateHint} value={date} onInput={setDate} error={fieldError('at')} name="cost-date" />
          <Field label={w.note} value={note} onInput={setNote} dirAuto name="cost-note" />
          <button type="submit">{w.post}</button>
        </form>
      )}
    </>
  );
}
