// The rewards catalogue: every reward with its cost and stock, a form to add one or change one (names in both
// languages, kind, cost in points and to the club, stock, limit per member, the tiers that may take it), and
// deactivation (active: false; past redemptions keep naming it).
import { useState } from 'preact/hooks';
import { api, newKey, type Reward, type Tier } from '../lib/api';
import { Check, errorText, Field, ListState, Table } from '../lib/ui';
import { useConsole } from './consoleWords';
import { EditorForm, fieldErrors, Select, str, TextArea, useList, wholeOrNull } from './forms';

interface FullReward extends Reward {
  cost_minor: number;
  per_member_limit: number | null;
  tiers: number[] | null;
}

const KINDS = ['gift', 'experience', 'free_product', 'discount_code', 'donation'];

interface Draft {
  name_en: string;
  name_fa: string;
  description_en: string;
  description_fa: string;
  kind: string;
  cost_points: string;
  cost_minor: string;
  stock: string;
  per_member_limit: string;
  tiers: number[];
}

const empty: Draft = {
  name_en: '',
  name_fa: '',
  description_en: '',
  description_fa: '',
  kind: 'gift',
  cost_points: '',
  cost_minor: '0',
  stock: '',
  per_member_limit: '',
  tiers: [],
};

function draftOf(r: FullReward): Draft {
  return {
    name_en: r.name_en,
    name_fa: r.name_fa,
    description_en: r.description_en ?? '',
    description_fa: r.description_fa ?? '',
    kind: r.kind,
    cost_points: String(r.cost_points),
    cost_minor: String(r.cost_minor ?? 0),
    stock: str(r.stock),
    per_member_limit: str(r.per_member_limit),
    tiers: r.tiers ?? [],
  };
}

export function Rewards() {
  const i = useConsole();
  const { t, w } = i;
  const list = useList<FullReward>('/api/v1/rewards?limit=200');
  const tiers = useList<Tier>('/api/v1/tiers');
  const [editing, setEditing] = useState<number | null>(null);
  const [d, setD] = useState<Draft>(empty);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof Draft) => (v: string) => setD({ ...d, [k]: v });

  async function save(e: Event) {
    e.preventDefault();
    const body = {
      name_en: d.name_en.trim(),
      name_fa: d.name_fa.trim(),
      description_en: d.description_en.trim() || null,
      description_fa: d.description_fa.trim() || null,
      kind: d.kind,
      cost_points: wholeOrNull(d.cost_points),
      cost_minor: wholeOrNull(d.cost_minor) ?? 0,
      stock: wholeOrNull(d.stock),
      per_member_limit: wholeOrNull(d.per_member_limit),
      tiers: d.tiers.length ? d.tiers : null,
    };
    const local: Record<string, string> = {};
    for (const k of ['cost_points', 'cost_minor', 'stock', 'per_member_limit'] as const)
      if (Number.isNaN(body[k] as number)) local[k] = t.fixFields;
    if (Object.keys(local).length) {
      setErrs(local);
      return;
    }
    setBusy(true);
    setMsg(null);
    try {
      if (editing === null) await api('POST', '/api/v1/rewards', { body, idempotencyKey: newKey() });
      else await api('PATCH', `/api/v1/rewards/${editing}`, { body, idempotencyKey: newKey() });
      setErrs({});
      setD(empty);
      setEditing(null);
      setMsg({ ok: true, text: w.rewardSaved });
      list.reload();
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(t, err) });
    } finally {
      setBusy(false);
    }
  }

  async function setActive(r: FullReward, active: boolean) {
    try {
      await api('PATCH', `/api/v1/rewards/${r.id}`, { body: { active }, idempotencyKey: newKey() });
      list.reload();
    } catch (err) {
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  return (
    <section aria-labelledby="rewards-title">
      <h1 id="rewards-title">{w.rewards}</h1>
      <ListState items={list.items} error={list.error} empty={w.noRewardsYet}>
        {(rows) => (
          <Table columns={[t.name, w.rewardKind, [w.costPoints, 'num'], [w.stock, 'num'], t.status, w.actions]}>
            {rows.map((r) => (
              <tr data-reward={r.id}>
                <td>{i.name(r)}</td>
                <td>{w.rewardKinds[r.kind] ?? r.kind}</td>
                <td class="num">{i.num(r.cost_points)}</td>
                <td class="num">{r.stock === null || r.stock === undefined ? w.unlimited : i.num(r.stock)}</td>
                <td>{r.active ? w.active : w.inactive}</td>
                <td class="row">
                  <button
                    type="button"
                    class="link"
                    aria-label={`${w.edit}: ${i.name(r)}`}
                    onClick={() => {
                      setEditing(r.id);
                      setD(draftOf(r));
                      setErrs({});
                      document.getElementById('reward-form')?.focus();
                    }}
                  >
                    {w.edit}
                  </button>
                  <button type="button" class="link" aria-label={`${r.active ? w.deactivate : w.activate}: ${i.name(r)}`} onClick={() => setActive(r, !r.active)}>
                    {r.active ? w.deactivate : w.activate}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>

      <EditorForm
        id="reward-form"
        titles={[w.newReward, w.editReward]}
        editing={editing !== null}
        msg={msg}
        busy={busy}
        onSubmit={save}
        onCancel={() => {
          setEditing(null);
          setD(empty);
          setErrs({});
        }}
      >
        <div class="cols">
          <Field label={w.nameEn} value={d.name_en} onInput={set('name_en')} required error={errs.name_en} />
          <Field label={w.nameFa} value={d.name_fa} onInput={set('name_fa')} required error={errs.name_fa} dirAuto />
          <Select
            label={w.rewardKind}
            value={d.kind}
            options={KINDS.map((k) => [k, w.rewardKinds[k]])}
            onChange={set('kind')}
            error={errs.kind}
          />
          <Field label={w.costPoints} value={d.cost_points} onInput={set('cost_points')} inputMode="numeric" required error={errs.cost_points} />
          <Field label={w.costMinor} value={d.cost_minor} onInput={set('cost_minor')} inputMode="numeric" error={errs.cost_minor} />
          <Field label={w.stock} value={d.stock} onInput={set('stock')} inputMode="numeric" hint={w.stockHint} error={errs.stock} />
          <Field
            label={w.perMemberLimit}
            value={d.per_member_limit}
            onInput={set('per_member_limit')}
            inputMode="numeric"
            hint={w.perMemberHint}
            error={errs.per_member_limit}
          />
        </div>
        <div class="cols">
          <TextArea label={w.descriptionEn} value={d.description_en} onInput={set('description_en')} error={errs.description_en} />
          <TextArea label={w.descriptionFa} value={d.description_fa} onInput={set('description_fa')} error={errs.description_fa} />
        </div>
        {tiers.items && tiers.items.length > 0 && (
          <fieldset>
            <legend>{w.forTiers}</legend>
            <p class="hint">{w.everyTier}</p>
            {tiers.items.map((tier) => (
              <Check
                label={i.name(tier)}
                checked={d.tiers.includes(tier.id)}
                onChange={(on) => setD({ ...d, tiers: on ? [...d.tiers, tier.id] : d.tiers.filter((x) => x !== tier.id) })}
              />
            ))}
          </fieldset>
        )}
      </EditorForm>
    </section>
  );
}
