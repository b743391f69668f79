// The programme settings (PATCH /api/v1/programme, a merge patch): currency, the points' names and value,
// pending days, expiry, returns, transfers, the club's time zone and calendar. Only the settings changed are sent.
import { useEffect, useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { Alert, Check, errorText, Field, Loading } from '../lib/ui';
import { useConsole } from './consoleWords';
import { fieldErrors, Select, wholeOrNull } from './forms';

interface Settings {
  currency: string;
  currency_minor_units: number;
  points_name: { en: string; fa: string };
  point_value_minor: number;
  pending_days: number;
  expiry_policy: string;
  expiry_days: number;
  expiry_warning_days: number;
  return_policy: string;
  transfers_allowed: boolean;
  time_zone: string;
  calendar: string;
}

type Draft = Record<
  | 'currency'
  | 'currency_minor_units'
  | 'name_en'
  | 'name_fa'
  | 'point_value_minor'
  | 'pending_days'
  | 'expiry_policy'
  | 'expiry_days'
  | 'expiry_warning_days'
  | 'return_policy'
  | 'time_zone'
  | 'calendar',
  string
> & { transfers_allowed: boolean };

function draftOf(s: Settings): Draft {
  return {
    currency: s.currency,
    currency_minor_units: String(s.currency_minor_units),
    name_en: s.points_name.en,
    name_fa: s.points_name.fa,
    point_value_minor: String(s.point_value_minor),
    pending_days: String(s.pending_days),
    expiry_policy: s.expiry_policy,
    expiry_days: String(s.expiry_days),
    expiry_warning_days: String(s.expiry_warning_days),
    return_policy: s.return_policy,
    time_zone: s.time_zone,
    calendar: s.calendar,
    transfers_allowed: s.transfers_allowed,
  };
}

const NUMBERS = ['currency_minor_units', 'point_value_minor', 'pending_days', 'expiry_days', 'expiry_warning_days'] as const;
const TEXTS = ['currency', 'expiry_policy', 'return_policy', 'time_zone', 'calendar'] as const;

export function ProgrammeSettings() {
  const i = useConsole();
  const { t, w } = i;
  const [s, setS] = useState<Settings | null>(null);
  const [d, setD] = useState<Draft | null>(null);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Settings>('GET', '/api/v1/programme').then((x) => {
      setS(x);
      setD(draftOf(x));
    }, setError);
  }, []);
  if (error) return <Alert>{errorText(t, error)}</Alert>;
  if (!s || !d) return <Loading />;
  const set = (k: keyof Draft) => (v: string) => setD({ ...d, [k]: v });
  const opts = (m: Record<string, string>): [string, string][] => Object.entries(m);

  async function save(e: Event) {
    e.preventDefault();
    if (!s || !d) return;
    const patch: Record<string, unknown> = {};
    const local: Record<string, string> = {};
    for (const k of NUMBERS) {
      const v = wholeOrNull(d[k]);
      if (v === null || Number.isNaN(v)) local[k] = t.fixFields;
      else if (v !== s[k]) patch[k] = v;
    }
    for (const k of TEXTS) if (d[k].trim() !== s[k]) patch[k] = d[k].trim();
    if (d.transfers_allowed !== s.transfers_allowed) patch.transfers_allowed = d.transfers_allowed;
    const names: Record<string, string> = {};
    if (d.name_en.trim() !== s.points_name.en) names.en = d.name_en.trim();
    if (d.name_fa.trim() !== s.points_name.fa) names.fa = d.name_fa.trim();
    if (Object.keys(names).length) patch.points_name = names;
    if (Object.keys(local).length) {
      setErrs(local);
      return;
    }
    try {
      const after = await api<Settings>('PATCH', '/api/v1/programme', { body: patch, idempotencyKey: newKey() });
      setS(after);
      setD(draftOf(after));
      setErrs({});
      setMsg({ ok: true, text: w.programmeSaved });
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  return (
    <section aria-labelledby="programme-title" class="narrow">
      <h1 id="programme-title">{w.programme}</h1>
      <form class="card" onSubmit={save}>
        {msg && <Alert kind={msg.ok ? 'ok' : 'error'}>{msg.text}</Alert>}
        <div class="cols">
          <Field label={w.currency} value={d.currency} onInput={set('currency')} error={errs.currency} />
          <Field label={w.currencyMinorUnits} value={d.currency_minor_units} onInput={set('currency_minor_units')} inputMode="numeric" error={errs.currency_minor_units} />
          <Field label={w.pointsNameEn} value={d.name_en} onInput={set('name_en')} error={errs['points_name.en']} />
          <Field label={w.pointsNameFa} value={d.name_fa} onInput={set('name_fa')} dirAuto error={errs['points_name.fa']} />
          <Field label={w.pointValue} value={d.point_value_minor} onInput={set('point_value_minor')} inputMode="numeric" error={errs.point_value_minor} />
          <Field label={w.pendingDays} value={d.pending_days} onInput={set('pending_days')} inputMode="numeric" error={errs.pending_days} />
          <Select label={w.expiryPolicy} value={d.expiry_policy} options={opts(w.expiryPolicies)} onChange={set('expiry_policy')} error={errs.expiry_policy} />
          {d.expiry_policy === 'days' && (
            <Field label={w.expiryDays} value={d.expiry_days} onInput={set('expiry_days')} inputMode="numeric" error={errs.expiry_days} />
          )}
          <Field label={w.expiryWarningDays} value={d.expiry_warning_days} onInput={set('expiry_warning_days')} inputMode="numeric" error={errs.expiry_warning_days} />
          <Select label={w.returnPolicy} value={d.return_policy} options={opts(w.returnPolicies)} onChange={set('return_policy')} error={errs.return_policy} />
          <Field label={w.timeZone} value={d.time_zone} onInput={set('time_zone')} error={errs.time_zone} />
          <Select label={w.calendar} value={d.calendar} options={opts(w.calendars)} onChange={set('calendar')} error={errs.calendar} />
        </div>
        <Check label={w.transfersAllowed} checked={d.transfers_allowed} onChange={(v) => setD({ ...d, transfers_allowed: v })} />
        <div class="row">
          <button type="submit">{t.save}</button>
        </div>
      </form>
    </section>
  );
}
