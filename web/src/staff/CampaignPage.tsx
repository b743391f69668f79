// A campaign's page: what it is (audience, offer, budget and what is spent, the guard rails beside it), its history
// of states, and its field study (Pilot.tsx): the pilot with its minimum detectable effect, the evaluation, the
// decision and the roll-out.
import { useEffect, useState } from 'preact/hooks';
import { api, type Page } from '../lib/api';
import { useI18n } from '../lib/i18n';
import { Alert, errorText, Loading } from '../lib/ui';
import { useCampaignWords } from './campaignWords';
import type { Campaign } from './Campaigns';
import { FieldStudy, type PilotState } from './Pilot';

interface Change {
  id: number;
  from: string | null;
  to: string;
  actor: string;
  reason: string;
  at: string | number;
}

interface Data {
  campaign: Campaign;
  changes: Change[];
  pilot: PilotState;
}

async function load(id: number): Promise<Data> {
  const base = `/api/v1/campaigns/${id}`;
  const [campaign, changes, pilot] = await Promise.all([
    api<Campaign>('GET', base),
    api<Page<Change>>('GET', `${base}/changes?limit=200`),
    api<PilotState>('GET', `${base}/pilot`),
  ]);
  return { campaign, changes: changes.items, pilot };
}

export function CampaignPage({ id, canWrite, canDecide }: { id: number; canWrite: boolean; canDecide: boolean }) {
  const i = useI18n();
  const w = useCampaignWords();
  const [d, setD] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => load(id).then(setD, setError);
  useEffect(() => {
    reload();
  }, [id]);
  if (error != null) return <Alert>{errorText(i.t, error)}</Alert>;
  if (!d) return <Loading />;
  const c = d.campaign;
  const g = c.guard;
  const audience =
    c.audience.kind === 'class'
      ? `${w.audienceClass}: ${c.audience.class}`
      : c.audience.kind === 'segment'
        ? `${w.audienceSegment} ${i.num(c.audience.segment_id ?? 0)}`
        : w.audienceAll;
  return (
    <section aria-labelledby="campaign-title">
      <h1 id="campaign-title">{c.name}</h1>
      <dl class="facts">
        <dt>{w.state}</dt>
        <dd data-state={c.state}>{w.states[c.state] ?? c.state}</dd>
        <dt>{w.goal}</dt>
        <dd dir="auto">{c.goal || '—'}</dd>
        <dt>{w.metric}</dt>
        <dd>{w.metrics[c.metric] ?? c.metric}</dd>
        <dt>{w.audience}</dt>
        <dd>{audience}</dd>
        <dt>{w.offer}</dt>
        <dd>
          {w.offers[c.offer.kind] ?? c.offer.kind}
          {c.offer.points ? ` (${i.num(c.offer.points)})` : ''}
        </dd>
        <dt>{w.budget}</dt>
        <dd>
          {i.num(c.budget.money)} / {i.num(c.budget.points)}
        </dd>
        <dt>{w.spent}</dt>
        <dd>
          {i.num(c.spent.money)} / {i.num(c.spent.points)}
        </dd>
      </dl>
      {g && (
        <section aria-labelledby="guard-title" class="guard">
          <h2 id="guard-title">{w.guard}</h2>
          <p>{w.guardDiscount(i.num(g.discount_permille), i.num(g.discount_max_permille))}</p>
          <p>{w.guardGiveback(i.num(g.giveback_permille), i.num(g.giveback_max_permille))}</p>
          <Alert kind={g.ok ? 'ok' : 'error'}>{g.ok ? w.guardOk : w.guardBroken}</Alert>
          {g.estimated_at && <p class="hint">{w.guardEstimated(i.date(g.estimated_at))}</p>}
        </section>
      )}
      <FieldStudy campaign={c} state={d.pilot} canWrite={canWrite} canDecide={canDecide} onChange={reload} />
      <section aria-labelledby="history-title">
        <h2 id="history-title">{w.history}</h2>
        <div class="table-wrap">
          <table id="campaign-history">
            <thead>
              <tr>
                <th scope="col">{w.when}</th>
                <th scope="col">{w.from}</th>
                <th scope="col">{w.to}</th>
                <th scope="col">{w.actor}</th>
                <th scope="col">{w.reason}</th>
              </tr>
            </thead>
            <tbody>
              {d.changes.map((h) => (
                <tr>
                  <td>{i.date(typeof h.at === 'number' ? new Date(h.at).toISOString() : h.at)}</td>
                  <td>{h.from ? (w.states[h.from] ?? h.from) : '—'}</td>
                  <td>{w.states[h.to] ?? h.to}</td>
                  <td dir="auto">{h.actor}</td>
                  <td dir="auto">{h.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </section>
  );
}
