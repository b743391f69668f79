// The earning rules editor (docs/rules.md): the rules with what each says, and a form for the common shapes —
// points per amount spent, a multiplier, a fixed bonus — with a least purchase, first purchase only, and dates.
// Conditions the form does not show (categories, stores, days, hours, caps...) are kept as they are when a rule
// is changed. The preview under the form says in words what the rule will do, as it is typed.
import { useEffect, useState } from 'preact/hooks';
import { api, newKey, type Programme } from '../lib/api';
import { Check, errorText, Field, ListState, Table } from '../lib/ui';
import { useConsole, type ConsoleWords } from './consoleWords';
import { dateField, dateOrNull, EditorForm, fieldErrors, Select, str, useList, wholeOrNull } from './forms';
import type { I18n } from '../lib/i18n';

type Definition = Record<string, unknown> & { kind: string };

interface Rule {
  id: number;
  name: string;
  event: string;
  priority: number;
  combine: 'stack' | 'best';
  active: boolean;
  starts_at: string | null;
  ends_at: string | null;
  definition: Definition;
}

const EVENTS = ['purchase', 'joined', 'profile_completed', 'survey_answered', 'custom'];

interface Draft {
  name: string;
  event: string;
  priority: string;
  combine: string;
  kind: string;
  points: string;
  per_amount_minor: string;
  multiplier_permille: string;
  min_amount_minor: string;
  first_purchase: boolean;
  starts_at: string;
  ends_at: string;
}

const empty: Draft = {
  name: '',
  event: 'purchase',
  priority: '100',
  combine: 'stack',
  kind: 'per_amount',
  points: '1',
  per_amount_minor: '',
  multiplier_permille: '2000',
  min_amount_minor: '',
  first_purchase: false,
  starts_at: '',
  ends_at: '',
};

/** The definition from the form, over the rule's own (so conditions the form does not show stay). */
function definitionOf(d: Draft, base: Definition | null): Definition {
  const def: Definition = { ...(base && base.kind === d.kind ? base : {}), kind: d.kind };
  delete def.points;
  delete def.per_amount_minor;
  delete def.multiplier_permille;
  delete def.min_amount_minor;
  delete def.first_purchase;
  if (d.kind === 'per_amount') {
    def.points = wholeOrNull(d.points) ?? 1;
    def.per_amount_minor = wholeOrNull(d.per_amount_minor);
  } else if (d.kind === 'multiplier') {
    def.multiplier_permille = wholeOrNull(d.multiplier_permille);
  } else {
    def.points = wholeOrNull(d.points);
  }
  if (d.event === 'purchase') {
    const min = wholeOrNull(d.min_amount_minor);
    if (min !== null) def.min_amount_minor = min;
    if (d.first_purchase) def.first_purchase = true;
  }
  return def;
}

/** What a rule does, in words. */
export function explainRule(i: I18n, w: ConsoleWords, p: Programme | null, event: string, def: Definition): string {
  const money = (m: unknown) => (p ? i.money(Number(m), p.currency, p.currency_minor_units) : i.num(Number(m)));
  const parts: string[] = [];
  if (def.kind === 'per_amount') parts.push(w.explainPerAmount(i.num(Number(def.points ?? 1)), money(def.per_amount_minor ?? 0)));
  else if (def.kind === 'multiplier') parts.push(w.explainMultiplier(i.num(Number(def.multiplier_permille ?? 0) / 1000)));
  else parts.push(w.explainBonus(i.num(Number(def.points ?? 0))));
  if (def.min_amount_minor !== undefined) parts.push(w.explainMin(money(def.min_amount_minor)));
  if (def.first_purchase) parts.push(w.explainFirst);
  parts.push(w.explainOn(w.events[event] ?? event));
  return parts.join(i.lang === 'fa' ? '، ' : ', ');
}

export function Rules() {
  const i = useConsole();
  const { t, w } = i;
  const list = useList<Rule>('/api/v1/rules?limit=200');
  const [programme, setProgramme] = useState<Programme | null>(null);
  const [editing, setEditing] = useState<Rule | null>(null);
  const [d, setD] = useState<Draft>(empty);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    api<Programme>('GET', '/api/v1/programme').then(setProgramme, () => {});
  }, []);
  const set = (k: keyof Draft) => (v: string) => setD({ ...d, [k]: v });
  const def = definitionOf(d, editing?.definition ?? null);

  async function save(e: Event) {
    e.preventDefault();
    const body = {
      name: d.name.trim(),
      event: d.event,
      priority: wholeOrNull(d.priority),
      combine: d.combine,
      starts_at: dateOrNull(d.starts_at),
      ends_at: dateOrNull(d.ends_at),
      definition: def,
    };
    try {
      if (editing === null) await api('POST', '/api/v1/rules', { body, idempotencyKey: newKey() });
      else await api('PATCH', `/api/v1/rules/${editing.id}`, { body, idempotencyKey: newKey() });
      setErrs({});
      setD(empty);
      setEditing(null);
      setMsg({ ok: true, text: w.ruleSaved });
      list.reload();
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  async function deactivate(r: Rule) {
    try {
      await api('DELETE', `/api/v1/rules/${r.id}`, { idempotencyKey: newKey() });
      list.reload();
    } catch (err) {
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  async function activate(r: Rule) {
    try {
      await api('PATCH', `/api/v1/rules/${r.id}`, { body: { active: true }, idempotencyKey: newKey() });
      list.reload();
    } catch (err) {
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  function edit(r: Rule) {
    const x = r.definition;
    setEditing(r);
    setErrs({});
    setD({
      name: r.name,
      event: r.event,
      priority: String(r.priority),
      combine: r.combine,
      kind: x.kind,
      points: str(x.points as number | undefined) || '1',
      per_amount_minor: str(x.per_amount_minor as number | undefined),
      multiplier_permille: str(x.multiplier_permille as number | undefined) || '2000',
      min_amount_minor: str(x.min_amount_minor as number | undefined),
      first_purchase: !!x.first_purchase,
      starts_at: dateField(r.starts_at),
      ends_at: dateField(r.ends_at),
    });
    document.getElementById('rule-form')?.focus();
  }

  const kinds = d.event === 'purchase' ? ['per_amount', 'multiplier', 'bonus'] : ['bonus'];

  return (
    <section aria-labelledby="rules-title">
      <h1 id="rules-title">{w.rules}</h1>
      <ListState items={list.items} error={list.error}>
        {(rows) => (
          <Table columns={[t.name, w.explanation, [w.priority, 'num'], t.status, w.actions]}>
            {rows.map((r) => (
              <tr data-rule={r.id}>
                <td>
                  <bdi>{r.name}</bdi>
                </td>
                <td>{explainRule(i, w, programme, r.event, r.definition)}</td>
                <td class="num">{i.num(r.priority)}</td>
                <td>{r.active ? w.active : w.inactive}</td>
                <td class="row">
                  <button type="button" class="link" aria-label={`${w.edit}: ${r.name}`} onClick={() => edit(r)}>
                    {w.edit}
                  </button>
                  {r.active ? (
                    <button type="button" class="link" aria-label={`${w.deactivate}: ${r.name}`} onClick={() => deactivate(r)}>
                      {w.deactivate}
                    </button>
                  ) : (
                    <button type="button" class="link" aria-label={`${w.activate}: ${r.name}`} onClick={() => activate(r)}>
                      {w.activate}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <EditorForm
        id="rule-form"
        titles={[w.newRule, w.editRule]}
        editing={editing !== null}
        msg={msg}
        onSubmit={save}
        onCancel={() => {
          setEditing(null);
          setD(empty);
        }}
      >
        <div class="cols">
          <Field label={w.ruleName} value={d.name} onInput={set('name')} required dirAuto error={errs.name} />
          <Select label={w.event} value={d.event} options={EVENTS.map((e) => [e, w.events[e]])} onChange={(v) => setD({ ...d, event: v, kind: v === 'purchase' ? d.kind : 'bonus' })} error={errs.event} />
          <Select label={w.ruleKind} value={d.kind} options={kinds.map((k) => [k, w.ruleKinds[k]])} onChange={set('kind')} error={errs['definition.kind']} />
          {d.kind !== 'multiplier' && (
            <Field label={w.pointsEach} value={d.points} onInput={set('points')} inputMode="numeric" error={errs['definition.points']} />
          )}
          {d.kind === 'per_amount' && (
            <Field
              label={w.perAmount}
              value={d.per_amount_minor}
              onInput={set('per_amount_minor')}
              inputMode="numeric"
              required
              error={errs['definition.per_amount_minor']}
            />
          )}
          {d.kind === 'multiplier' && (
            <Field
              label={w.multiplierPermille}
              value={d.multiplier_permille}
              onInput={set('multiplier_permille')}
              inputMode="numeric"
              error={errs['definition.multiplier_permille']}
            />
          )}
          {d.event === 'purchase' && (
            <Field
              label={w.minAmount}
              value={d.min_amount_minor}
              onInput={set('min_amount_minor')}
              inputMode="numeric"
              hint={w.optional}
              error={errs['definition.min_amount_minor']}
            />
          )}
          <Field label={w.priority} value={d.priority} onInput={set('priority')} inputMode="numeric" hint={w.priorityHint} error={errs.priority} />
          <Select label={w.combine} value={d.combine} options={[['stack', w.combines.stack], ['best', w.combines.best]]} onChange={set('combine')} />
          <Field label={w.startsAt} value={d.starts_at} onInput={set('starts_at')} hint={w.dateHint} error={errs.starts_at} />
          <Field label={w.endsAt} value={d.ends_at} onInput={set('ends_at')} hint={w.dateHint} error={errs.ends_at} />
        </div>
        {d.event === 'purchase' && <Check label={w.firstPurchase} checked={d.first_purchase} onChange={(v) => setD({ ...d, first_purchase: v })} />}
        <p class="alert info" role="status" aria-live="polite" data-testid="rule-preview">
          <strong>{w.explanation}:</strong> {explainRule(i, w, programme, d.event, def)}
        </p>
      </EditorForm>
    </section>
  );
}
