// Moments: the list of yearly moments (birthdays, anniversaries of joining, custom dates) and their editor, with
// the latest outcomes of one. The server checks every field (problem+json naming it); the form shows each error
// beside its field. Words in momentWords.ts.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Page, type Reward } from '../lib/api';
import { asciiDigits, localDigits, useI18n } from '../lib/i18n';
import { href, navigate } from '../lib/router';
import { Alert, Check, errorText, Field, ListState, Loading, Table } from '../lib/ui';
import { momentWords } from './momentWords';

type Texts = { en?: string; fa?: string };

export interface Moment {
  id: number;
  name: string;
  kind: string;
  attribute: string | null;
  calendar: string;
  gift: { points: number; reward_id: number | null };
  message: { channel: string; subject?: Texts; body?: Texts } | null;
  send_hour: number;
  holdout_share: number;
  leap_policy: string;
  active: boolean;
}

interface Grant {
  member_id: number;
  year: number;
  outcome: string;
  reason: string | null;
  points: number;
  at: string;
}

export function Moments({ canWrite }: { canWrite: boolean }) {
  const i = useI18n();
  const w = momentWords(i.lang);
  const [items, setItems] = useState<Moment[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Page<Moment>>('GET', '/api/v1/moments?limit=200').then((p) => setItems(p.items), setError);
  }, []);
  return (
    <section aria-labelledby="moments-title">
      <h1 id="moments-title">{w.title}</h1>
      <p class="muted">{w.intro}</p>
      {canWrite && (
        <p>
          <a class="button" href={href('/moments/new')}>
            {w.newMoment}
          </a>
        </p>
      )}
      <ListState items={items} error={error} empty={w.noMoments}>
        {(rows) => (
          <Table columns={[w.name, w.kind, w.gift, w.sendHour, w.active]}>
            {rows.map((m) => (
              <tr>
                <td>
                  <a href={href(`/moments/${m.id}`)}>{m.name}</a>
                </td>
                <td>{w.kinds[m.kind] ?? m.kind}</td>
                <td>{m.gift.points ? w.points(i.num(m.gift.points)) : '—'}</td>
                <td>{w.atHour(localDigits(String(m.send_hour).padStart(2, '0'), i.lang))}</td>
                <td>{m.active ? w.active : w.inactive}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}

interface Form {
  name: string;
  kind: string;
  attribute: string;
  calendar: string;
  points: string;
  reward: string;
  hour: string;
  holdout: string;
  leap: string;
  channel: string;
  subjectEn: string;
  subjectFa: string;
  bodyEn: string;
  bodyFa: string;
  active: boolean;
}

const empty: Form = {
  name: '', kind: 'birthday', attribute: '', calendar: 'gregorian', points: '100', reward: '', hour: '10', holdout: '0',
  leap: 'before', channel: '', subjectEn: '', subjectFa: '', bodyEn: '', bodyFa: '', active: true,
};

function formOf(m: Moment): Form {
  return {
    name: m.name, kind: m.kind, attribute: m.attribute ?? '', calendar: m.calendar, points: String(m.gift.points),
    reward: m.gift.reward_id ? String(m.gift.reward_id) : '', hour: String(m.send_hour),
    holdout: String(Math.round(m.holdout_share * 1000) / 10), leap: m.leap_policy, channel: m.message?.channel ?? '',
    subjectEn: m.message?.subject?.en ?? '', subjectFa: m.message?.subject?.fa ?? '', bodyEn: m.message?.body?.en ?? '',
    bodyFa: m.message?.body?.fa ?? '', active: m.active,
  };
}

/** A number typed with any digits; NaN stays for the server to name. */
const num = (s: string) => (s.trim() === '' ? NaN : Number(asciiDigits(s.trim())));

function texts(en: string, fa: string): Texts | undefined {
  const t: Texts = {};
  if (en.trim()) t.en = en;
  if (fa.trim()) t.fa = fa;
  return t.en || t.fa ? t : undefined;
}

function bodyOf(f: Form, creating: boolean): Record<string, unknown> {
  const b: Record<string, unknown> = {
    name: f.name, calendar: f.calendar, send_hour: num(f.hour), holdout_share: num(f.holdout) / 100,
    leap_policy: f.leap, gift: { points: num(f.points || '0'), reward_id: f.reward ? Number(f.reward) : null },
    message: f.channel ? { channel: f.channel, subject: texts(f.subjectEn, f.subjectFa), body: texts(f.bodyEn, f.bodyFa) } : null,
  };
  if (creating) {
    b.kind = f.kind;
    if (f.kind === 'custom') b.attribute = f.attribute;
  } else {
    b.active = f.active;
  }
  for (const k of ['send_hour', 'holdout_share']) if (Number.isNaN(b[k])) b[k] = null;
  return b;
}

export function MomentEditor({ id, canWrite }: { id?: number; canWrite: boolean }) {
  const i = useI18n();
  const w = momentWords(i.lang);
  const [f, setF] = useState<Form | null>(id ? null : empty);
  const [rewards, setRewards] = useState<Reward[]>([]);
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api<Page<Reward>>('GET', '/api/v1/rewards?limit=200').then((p) => setRewards(p.items), () => setRewards([]));
    if (!id) return;
    api<Moment>('GET', `/api/v1/moments/${id}`).then((m) => setF(formOf(m)), setError);
    api<{ items: Grant[] }>('GET', `/api/v1/moments/${id}/grants?limit=50`).then((g) => setGrants(g.items), setError);
  }, [id]);
  if (!f) return error != null ? <Alert>{errorText(i.t, error)}</Alert> : <Loading />;
  const set = (k: keyof Form) => (v: string) => setF({ ...f, [k]: v });
  const fe = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);

  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const m = await api<Moment>(id ? 'PATCH' : 'POST', id ? `/api/v1/moments/${id}` : '/api/v1/moments', { body: bodyOf(f!, !id) });
      setSaved(true);
      if (!id) navigate(`/moments/${m.id}`);
      else setF(formOf(m));
    } catch (err) {
      setError(err);
    }
  }
  async function deactivate() {
    try {
      setF(formOf(await api<Moment>('DELETE', `/api/v1/moments/${id}`)));
    } catch (err) {
      setError(err);
    }
  }
  const select = (label: string, k: keyof Form, options: Record<string, string>, disabled = false, field: string = k) => (
    <div class={'field' + (fe(field) ? ' invalid' : '')}>
      <label for={`moment-${k}`}>{label}</label>
      <select id={`moment-${k}`} name={k} value={f[k] as string} disabled={disabled || !canWrite} onChange={(e) => set(k)((e.target as HTMLSelectElement).value)}>
        {Object.entries(options).map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
      {fe(field) && <small class="error-text">{fe(field)}</small>}
    </div>
  );
  const rewardOptions: Record<string, string> = { '': w.noReward };
  for (const r of rewards) rewardOptions[String(r.id)] = i.name(r);
  return (
    <section aria-labelledby="moment-title">
      <h1 id="moment-title">{id ? f.name : w.newMoment}</h1>
      {error != null && <Alert>{errorText(i.t, error)}</Alert>}
      {saved && <Alert kind="ok">{w.saved}</Alert>}
      <form onSubmit={save} class="form">
        <Field label={w.name} name="name" value={f.name} onInput={set('name')} error={fe('name')} dirAuto required />
        {select(w.kind, 'kind', w.kinds, !!id)}
        {f.kind === 'custom' && (
          <Field label={w.attribute} name="attribute" hint={w.attributeHint} value={f.attribute} onInput={set('attribute')} error={fe('attribute')} />
        )}
        {(f.kind === 'custom' || f.kind === 'anniversary') && select(w.calendar, 'calendar', w.calendars)}
        <Field label={w.giftPoints} name="points" inputMode="numeric" value={f.points} onInput={set('points')} error={fe('gift.points') ?? fe('gift')} />
        {select(w.reward, 'reward', rewardOptions, false, 'gift.reward_id')}
        <Field label={w.sendHour} name="send_hour" inputMode="numeric" value={f.hour} onInput={set('hour')} error={fe('send_hour')} />
        <Field label={w.holdout} name="holdout" hint={w.holdoutHint} inputMode="numeric" value={f.holdout} onInput={set('holdout')} error={fe('holdout_share')} />
        {select(w.leapPolicy, 'leap', w.leap, false, 'leap_policy')}
        {select(w.channel, 'channel', w.channels, false, 'message.channel')}
        {f.channel && (
          <>
            <Field label={w.subjectEn} name="subject_en" value={f.subjectEn} onInput={set('subjectEn')} error={fe('message.subject.en') ?? fe('message.subject')} hint={w.templateHint} dirAuto />
            <Field label={w.subjectFa} name="subject_fa" value={f.subjectFa} onInput={set('subjectFa')} error={fe('message.subject.fa')} dirAuto />
            <Field label={w.bodyEn} name="body_en" value={f.bodyEn} onInput={set('bodyEn')} error={fe('message.body.en') ?? fe('message.body')} dirAuto />
            <Field label={w.bodyFa} name="body_fa" value={f.bodyFa} onInput={set('bodyFa')} error={fe('message.body.fa')} dirAuto />
          </>
        )}
        {id && <Check label={w.active} name="active" checked={f.active} onChange={(v) => setF({ ...f, active: v })} />}
        {canWrite && (
          <div class="actions">
            <button type="submit">{id ? i.t.save : w.create}</button>
            {id && f.active && (
              <button type="button" class="secondary" onClick={deactivate}>
                {w.deactivate}
              </button>
            )}
          </div>
        )}
      </form>
      {id && (
        <>
          <h2>{w.outcomes}</h2>
          {grants === null ? (
            <Loading />
          ) : grants.length === 0 ? (
            <p>{w.noOutcomes}</p>
          ) : (
            <Table columns={[w.member, w.year, w.outcome, [w.giftPoints, 'num'], w.when]}>
              {grants.map((g) => (
                <tr>
                  <td>
                    <a href={href(`/members/${g.member_id}`)}>{localDigits(String(g.member_id), i.lang)}</a>
                  </td>
                  <td>{localDigits(String(g.year), i.lang)}</td>
                  <td>{(w.outcomeNames[g.outcome] ?? g.outcome) + (g.reason ? ` (${g.reason})` : '')}</td>
                  <td class="num">{i.num(g.points)}</td>
                  <td>{i.date(g.at)}</td>
                </tr>
              ))}
            </Table>
          )}
        </>
      )}
    </section>
  );
}
