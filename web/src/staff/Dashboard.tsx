// The dashboard: the club's key figures as numbers and charts. Roles that read the reports get the whole club's
// figures and time series (staff/ReportsDashboard.tsx); the others (cashiers) the members' points and tiers.
// Read from staff/figures.ts, which knows where the figures come from.
import { useEffect, useState } from 'preact/hooks';
import { FigureChart } from '../lib/chart';
import { useI18n } from '../lib/i18n';
import { Alert, errorText, Loading } from '../lib/ui';
import { can } from './access';
import { loadFigures, type Figures } from './figures';
import { Lazy } from './lazyAdmin';

export function Dashboard({ role }: { role?: string }) {
  if (can(role, 'reports')) return <Lazy render={(a) => <a.ReportsDashboard />} />;
  return <MembersDashboard />;
}

function MembersDashboard() {
  const i = useI18n();
  const { t } = i;
  const [f, setF] = useState<Figures | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    setError(null);
    loadFigures().then(setF, setError);
  };
  useEffect(load, []);
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!f) return <Loading />;
  const used = Math.max(0, f.points.lifetime - f.points.available - f.points.pending);
  const p = f.programme;
  const tiles: [string, string, string][] = [
    ['members', t.members, i.num(f.members)],
    ['prospects', t.prospects, i.num(f.prospects)],
    ['available', t.pointsAvailable, i.num(f.points.available)],
    ['pending', t.pointsPending, i.num(f.points.pending)],
    ['used', t.pointsSpent, i.num(used)],
    ['liability', t.liability, i.money(f.liabilityMinor, p.currency, p.currency_minor_units)],
  ];
  return (
    <section aria-labelledby="dash-title">
      <div class="row-between">
        <h1 id="dash-title">{t.dashboard}</h1>
        <button type="button" class="secondary" onClick={load}>
          {t.refresh}
        </button>
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
        <figure class="card">
          <figcaption>{t.membersByTier}</figcaption>
          <FigureChart
            kind="doughnut"
            label={t.membersByTier}
            labels={f.byTier.map((r) => (r.tier ? i.name(r.tier) : t.noTier))}
            values={f.byTier.map((r) => r.count)}
          />
        </figure>
        <figure class="card">
          <figcaption>{t.pointsChart}</figcaption>
          <FigureChart
            kind="bar"
            label={t.pointsChart}
            labels={[t.available, t.pending, t.used]}
            values={[f.points.available, f.points.pending, used]}
          />
        </figure>
      </div>
      {f.partial && <p class="muted">{t.sampleNote(i.num(f.counted))}</p>}
    </section>
  );
}
