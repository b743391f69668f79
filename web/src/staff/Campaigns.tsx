// Campaigns: the list (name, state, metric, budget and what is spent) and the form that creates one (audience,
// offer, budget), whose answer shows the guard rails beside it on the campaign's page.
import { useEffect, useState } from 'preact/hooks';
import { api, type Page } from '../lib/api';
import { asciiDigits, useI18n } from '../lib/i18n';
import { href, navigate } from '../lib/router';
import { Alert, errorText, Field, ListState, Table } from '../lib/ui';
import { useCampaignWords } from './campaignWords';

export interface Campaign {
  id: number;
  name: string;
  goal: string;
  metric: string;
  metric_days: number;
  audience: { kind: string; class?: string; segment_id?: number };
  offer: { kind: string; points?: number };
  budget: { money: number; points: number };
  spent: { money: number; points: number };
  state: string;
  holdout_share: number;
  guard?: {
    discount_permille: number;
    discount_max_permille: number;
    giveback_permille: number;
    giveback_max_permille: number;
    ok: boolean;
    estimated_at?: string;
  } | null;
}

export function Campaigns({ canWrite }: { canWrite: boolean }) {
  const i = useI18n();
  const w = useCampaignWords();
  const [items, setItems] = useState<Campaign[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Page<Campaign>>('GET', '/api/v1/campaigns?limit=200').then((p) => setItems(p.items), setError);
  }, []);
  return (
    <section aria-labelledby="campaigns-title">
      <h1 id="campaigns-title">{w.campaigns}</h1>
      {canWrite && (
        <p>
          <a class="button" href={href('/campaigns/new')}>
            {w.newCampaign}
          </a>
        </p>
      )}
      <ListState items={items} error={error} empty={w.noCampaigns}>
        {(rows) => (
          <Table columns={[w.name, w.state, w.metric, [w.budgetPoints, 'num'], [w.spent, 'num']]}>
            {rows.map((c) => (
              <tr>
                <td>
                  <a href={href(`/campaigns/${c.id}`)}>{c.name}</a>
                </td>
                <td data-state={c.state}>{w.states[c.state] ?? c.state}</td>
                <td>{w.metrics[c.metric] ?? c.metric}</td>
                <td class="num">{i.num(c.budget.points)}</td>
                <td class="num">{i.num(c.spent.points)}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}

function whole(s: string): number {
  return Number(asciiDigits(s).replace(/[,٬\s]/g, '')) || 0;
}

export function CampaignForm() {
  const i = useI18n();
  const w = useCampaignWords();
  const [name, setName] = useState('');
  const [goal, setGoal] = useState('');
  const [metric, setMetric] = useState('spend_per_member');
  const [audience, setAudience] = useState('all');
  const [cls, setCls] = useState('lapsed');
  const [segment, setSegment] = useState('');
  const [offer, setOffer] = useState('message');
  const [points, setPoints] = useState('100');
  const [money, setMoney] = useState('0');
  const [budgetPoints, setBudgetPoints] = useState('0');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = {
      name,
      goal,
      metric,
      audience:
        audience === 'class'
          ? { kind: 'class', class: cls }
          : audience === 'segment'
            ? { kind: 'segment', segment_id: whole(segment) }
            : { kind: 'all' },
      offer: offer === 'bonus_points' ? { kind: 'bonus_points', points: whole(points) } : { kind: 'message' },
      budget: { money: whole(money), points: whole(budgetPoints) },
    };
    try {
      const c = await api<Campaign>('POST', '/api/v1/campaigns', { body });
      navigate(`/campaigns/${c.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="campaign-new-title">
      <h1 id="campaign-new-title">{w.newCampaign}</h1>
      {error != null && <Alert>{errorText(i.t, error)}</Alert>}
      <form onSubmit={submit}>
        <Field label={w.name} value={name} onInput={setName} required dirAuto />
        <Field label={w.goal} value={goal} onInput={setGoal} dirAuto />
        <div class="field">
          <label for="campaign-metric">{w.metric}</label>
          <select id="campaign-metric" value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value)}>
            {Object.keys(w.metrics)
              .filter((k) => k !== 'nps')
              .map((k) => (
                <option value={k}>{w.metrics[k]}</option>
              ))}
          </select>
        </div>
        <div class="field">
          <label for="campaign-audience">{w.audience}</label>
          <select id="campaign-audience" value={audience} onChange={(e) => setAudience((e.target as HTMLSelectElement).value)}>
            <option value="all">{w.audienceAll}</option>
            <option value="class">{w.audienceClass}</option>
            <option value="segment">{w.audienceSegment}</option>
          </select>
        </div>
        {audience === 'class' && (
          <div class="field">
            <label for="campaign-class">{w.className}</label>
            <select id="campaign-class" value={cls} onChange={(e) => setCls((e.target as HTMLSelectElement).value)}>
              {['main', 'new', 'occasional', 'at_risk', 'lapsed'].map((k) => (
                <option value={k}>{k}</option>
              ))}
            </select>
          </div>
        )}
        {audience === 'segment' && <Field label={w.segmentId} value={segment} onInput={setSegment} inputMode="numeric" />}
        <div class="field">
          <label for="campaign-offer">{w.offer}</label>
          <select id="campaign-offer" value={offer} onChange={(e) => setOffer((e.target as HTMLSelectElement).value)}>
            <option value="message">{w.offers.message}</option>
            <option value="bonus_points">{w.offers.bonus_points}</option>
          </select>
        </div>
        {offer === 'bonus_points' && <Field label={w.offerPoints} value={points} onInput={setPoints} inputMode="numeric" />}
        <Field label={w.budgetMoney} value={money} onInput={setMoney} inputMode="numeric" />
        <Field label={w.budgetPoints} value={budgetPoints} onInput={setBudgetPoints} inputMode="numeric" />
        <button type="submit" disabled={busy}>
          {w.create}
        </button>
      </form>
    </section>
  );
}
