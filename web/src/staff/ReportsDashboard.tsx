// The dashboard from the reports (docs/reports.md): the summary's figures as tiles, and the time series as
// charts (members by class over time, new and active members, points issued / redeemed / expired, sales) for
// the period chosen. Periods are the club's (its calendar and time zone); their names are shown in the language,
// so a Persian club's months read as Jalali months, with Persian digits in fa.
import { useEffect, useState } from 'preact/hooks';
import { SeriesChart } from '../lib/seriesChart';
import type { I18n } from '../lib/i18n';
import { Alert, errorText, Loading } from '../lib/ui';
import { useConsole, type ConsoleWords } from './consoleWords';
import { loadReports, seriesTotal, type Period, type ReportSeries, type Reports } from './figures';

const CLASS_ORDER = ['prospect', 'new', 'main', 'occasional', 'at_risk', 'lapsed'];

/** The periods' names in the language, in the club's calendar and time zone. */
function periodLabels(i: I18n, r: ReportSeries): string[] {
  const base = i.lang === 'fa' ? 'fa-IR' : 'en-GB';
  const opts: Intl.DateTimeFormatOptions =
    r.period === 'month' ? { year: 'numeric', month: 'short' } : { month: 'short', day: 'numeric' };
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat(`${base}-u-ca-${r.calendar === 'persian' ? 'persian' : 'gregory'}`, { ...opts, timeZone: r.time_zone });
  } catch {
    f = new Intl.DateTimeFormat(base, opts);
  }
  const first = r.series[0]?.points ?? [];
  return first.map((p) => f.format(new Date(p.start)));
}

function named(w: ConsoleWords, r: ReportSeries, names?: string[], classes?: boolean) {
  const list = names ? r.series.filter((s) => names.includes(s.name)) : r.series;
  const words = classes ? w.classes : w.series;
  return list.map((s) => ({ name: words[s.name] ?? s.name, values: s.points.map((p) => p.value) }));
}

export function ReportsDashboard() {
  const i = useConsole();
  const { t, w } = i;
  const [period, setPeriod] = useState<Period>('month');
  const [r, setR] = useState<Reports | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    setError(null);
    loadReports(period).then(setR, setError);
  };
  useEffect(load, [period]);
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!r) return <Loading />;
  const s = r.summary;
  const p = r.programme;
  const money = (minor: number) => i.money(minor, p.currency, p.currency_minor_units);
  const tiles: [string, string, string][] = [
    ['members', w.clubMembers, i.num(s.members)],
    ['active30', w.active30, i.num(s.active_30)],
    ['active90', w.active90, i.num(s.active_90)],
    ['repeat', w.repeatRate, w.percent(s.repeat_purchase_permille, i.num)],
    ['redemption', w.redemptionRate, w.percent(s.redemption_permille, i.num)],
    ['spend', w.averageSpend, s.average_spend_minor === null ? '—' : money(s.average_spend_minor)],
    ['outstanding', w.pointsOutstanding, i.num(s.points_outstanding)],
    ['redeemed', w.redeemedInPeriod, i.num(seriesTotal(r.points, 'redeemed'))],
    ['liability', w.liability, money(s.liability_minor)],
  ];
  const classes = { ...r.classes, series: [...r.classes.series].sort((a, b) => CLASS_ORDER.indexOf(a.name) - CLASS_ORDER.indexOf(b.name)) };
  return (
    <section aria-labelledby="dash-title">
      <div class="row-between">
        <h1 id="dash-title">{t.dashboard}</h1>
        <div class="toolbar">
          <div class="field">
            <label for="dash-period">{w.period}</label>
            <select id="dash-period" value={period} onChange={(e) => setPeriod((e.target as HTMLSelectElement).value as Period)}>
              {(['day', 'week', 'month'] as Period[]).map((v) => (
                <option value={v}>{w.periods[v]}</option>
              ))}
            </select>
          </div>
          <button type="button" class="secondary" onClick={load}>
            {t.refresh}
          </button>
        </div>
      </div>
      <dl class="tiles">
        {tiles.map(([key, label, value]) => (
          <div class="tile" data-figure={key}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div class="charts">
        <Figure i={i} title={w.classesOverTime} kind="bar" stacked report={classes} />
        <Figure i={i} title={w.activeMembers} kind="line" report={r.members} />
        <Figure i={i} title={w.pointsFlow} kind="bar" report={r.points} names={['issued', 'gifted', 'redeemed', 'expired']} />
        <Figure i={i} title={w.salesChart} kind="line" report={r.sales} names={['purchases', 'buyers']} />
      </div>
    </section>
  );
}

/** One chart, with its figures also as a table for screen readers and keyboard users (folded away). */
function Figure(p: {
  i: ReturnType<typeof useConsole>;
  title: string;
  kind: 'bar' | 'line';
  report: ReportSeries;
  names?: string[];
  stacked?: boolean;
}) {
  const { i } = p;
  const labels = periodLabels(i, p.report);
  const series = named(i.w, p.report, p.names, p.stacked);
  return (
    <figure class="card">
      <figcaption>{p.title}</figcaption>
      <SeriesChart kind={p.kind} label={p.title} labels={labels} series={series} stacked={p.stacked} />
      <details>
        <summary>{i.w.chartTable}</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{i.w.period}</th>
                {series.map((s) => (
                  <th scope="col" class="num">
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((l, n) => (
                <tr>
                  <th scope="row">{l}</th>
                  {series.map((s) => (
                    <td class="num">{s.values[n] === null ? '—' : i.num(s.values[n] as number)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
