// The tiers editor: the ladder by rank, and a form to add a tier or change one (names, rank, what counts and the
// threshold within a rolling window, grace days, the earning multiplier, benefits in both languages).
import { useState } from 'preact/hooks';
import { api, newKey, type Tier } from '../lib/api';
import { errorText, Field, ListState, Table } from '../lib/ui';
import { useConsole } from './consoleWords';
import { EditorForm, fieldErrors, Select, TextArea, useList, wholeOrNull } from './forms';

interface FullTier extends Tier {
  basis: 'points' | 'spend';
  threshold: number;
  window_days: number;
  grace_days: number;
  multiplier_permille: number;
  benefits_en: string | null;
  benefits_fa: string | null;
}

type Draft = Record<'name_en' | 'name_fa' | 'rank' | 'basis' | 'threshold' | 'window_days' | 'grace_days' | 'multiplier_permille' | 'benefits_en' | 'benefits_fa', string>;

const empty: Draft = {
  name_en: '',
  name_fa: '',
  rank: '',
  basis: 'points',
  threshold: '0',
  window_days: '365',
  grace_days: '30',
  multiplier_permille: '1000',
  benefits_en: '',
  benefits_fa: '',
};

const NUMBERS = ['rank', 'threshold', 'window_days', 'grace_days', 'multiplier_permille'] as const;

export function Tiers() {
  const i = useConsole();
  const { t, w } = i;
  const list = useList<FullTier>('/api/v1/tiers');
  const [editing, setEditing] = useState<number | null>(null);
  const [d, setD] = useState<Draft>(empty);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const set = (k: keyof Draft) => (v: string) => setD({ ...d, [k]: v });

  async function save(e: Event) {
    e.preventDefault();
    const body: Record<string, unknown> = {
      name_en: d.name_en.trim(),
      name_fa: d.name_fa.trim(),
      basis: d.basis,
      benefits_en: d.benefits_en.trim() || null,
      benefits_fa: d.benefits_fa.trim() || null,
    };
    const local: Record<string, string> = {};
    for (const k of NUMBERS) {
      const v = wholeOrNull(d[k]);
      if (v === null || Number.isNaN(v)) local[k] = t.fixFields;
      body[k] = v;
    }
    if (Object.keys(local).length) {
      setErrs(local);
      return;
    }
    try {
      if (editing === null) await api('POST', '/api/v1/tiers', { body, idempotencyKey: newKey() });
      else await api('PATCH', `/api/v1/tiers/${editing}`, { body, idempotencyKey: newKey() });
      setErrs({});
      setD(empty);
      setEditing(null);
      setMsg({ ok: true, text: w.tierSaved });
      list.reload();
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  return (
    <section aria-labelledby="tiers-title">
      <h1 id="tiers-title">{w.tiers}</h1>
      <ListState items={list.items} error={list.error}>
        {(rows) => (
          <Table
            columns={[
              [w.rank, 'num'],
              t.name,
              w.basis,
              [w.threshold, 'num'],
              [w.windowDays, 'num'],
              [w.multiplier, 'num'],
              w.actions,
            ]}
          >
            {rows.map((tier) => (
              <tr data-tier={tier.id}>
                <td class="num">{i.num(tier.rank)}</td>
                <td>{i.name(tier)}</td>
                <td>{w.bases[tier.basis] ?? tier.basis}</td>
                <td class="num">{i.num(tier.threshold)}</td>
                <td class="num">{i.num(tier.window_days)}</td>
                <td class="num">{i.num(tier.multiplier_permille)}</td>
                <td>
                  <button
                    type="button"
                    class="link"
                    aria-label={`${w.edit}: ${i.name(tier)}`}
                    onClick={() => {
                      setEditing(tier.id);
                      setErrs({});
                      setD({
                        name_en: tier.name_en,
                        name_fa: tier.name_fa,
                        rank: String(tier.rank),
                        basis: tier.basis,
                        threshold: String(tier.threshold),
                        window_days: String(tier.window_days),
                        grace_days: String(tier.grace_days),
                        multiplier_permille: String(tier.multiplier_permille),
                        benefits_en: tier.benefits_en ?? '',
                        benefits_fa: tier.benefits_fa ?? '',
                      });
                      document.getElementById('tier-form')?.focus();
                    }}
                  >
                    {w.edit}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <EditorForm
        id="tier-form"
        titles={[w.newTier, w.editTier]}
        editing={editing !== null}
        msg={msg}
        onSubmit={save}
        onCancel={() => {
          setEditing(null);
          setD(empty);
        }}
      >
        <div class="cols">
          <Field label={w.nameEn} value={d.name_en} onInput={set('name_en')} required error={errs.name_en} />
          <Field label={w.nameFa} value={d.name_fa} onInput={set('name_fa')} required error={errs.name_fa} dirAuto />
          <Field label={w.rank} value={d.rank} onInput={set('rank')} inputMode="numeric" hint={w.rankHint} required error={errs.rank} />
          <Select label={w.basis} value={d.basis} options={[['points', w.bases.points], ['spend', w.bases.spend]]} onChange={set('basis')} error={errs.basis} />
          <Field label={w.threshold} value={d.threshold} onInput={set('threshold')} inputMode="numeric" error={errs.threshold} />
          <Field label={w.windowDays} value={d.window_days} onInput={set('window_days')} inputMode="numeric" error={errs.window_days} />
          <Field label={w.graceDays} value={d.grace_days} onInput={set('grace_days')} inputMode="numeric" error={errs.grace_days} />
          <Field
            label={w.multiplier}
            value={d.multiplier_permille}
            onInput={set('multiplier_permille')}
            inputMode="numeric"
            hint={w.multiplierHint}
            error={errs.multiplier_permille}
          />
        </div>
        <div class="cols">
          <TextArea label={w.benefitsEn} value={d.benefits_en} onInput={set('benefits_en')} error={errs.benefits_en} />
          <TextArea label={w.benefitsFa} value={d.benefits_fa} onInput={set('benefits_fa')} error={errs.benefits_fa} />
        </div>
      </EditorForm>
    </section>
  );
}
