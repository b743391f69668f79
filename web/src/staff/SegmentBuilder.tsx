// The segment builder: groups of conditions ("all", "any" or "none" of them hold), nested, over the fields of
// docs/segments.md (staff/filterTree.ts turns them into the API's filter), with a live count of the members the
// filter selects, asked of the server a moment after each change (POST /api/v1/segments/count); then saved.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, newKey } from '../lib/api';
import { Alert, errorText, Field } from '../lib/ui';
import { useConsole } from './consoleWords';
import { fieldErrors, TextArea } from './forms';
import { complete, fieldOf, FIELDS, fromFilter, isYesNo, newCond, toFilter, type Cond, type Group, type Mode, type Node } from './filterTree';
import type { Segment } from './Segments';

const COUNT_DELAY_MS = 350;

export function Builder(p: { segment?: Segment; canWrite: boolean; onSaved: (s: Segment) => void }) {
  const i = useConsole();
  const { t, w } = i;
  const [name, setName] = useState(p.segment?.name ?? '');
  const [description, setDescription] = useState(p.segment?.description ?? '');
  const [root, setRoot] = useState<Group>(() =>
    p.segment?.filter ? fromFilter(p.segment.filter) : { type: 'group', mode: 'all', children: [newCond()] },
  );
  const [count, setCount] = useState<number | null>(null);
  const [counting, setCounting] = useState(false);
  const [countError, setCountError] = useState<unknown>(null);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const filter = toFilter(root);
  const ready = complete(root);
  const key = ready ? JSON.stringify(filter) : '';
  const asked = useRef(0);

  // The live count: a moment after the last change, and only the latest answer is shown.
  useEffect(() => {
    const n = ++asked.current;
    if (!ready) {
      setCount(null);
      setCountError(null);
      setCounting(false);
      return;
    }
    setCounting(true);
    const timer = setTimeout(() => {
      api<{ count: number }>('POST', '/api/v1/segments/count', { body: { filter } }).then(
        (r) => {
          if (n !== asked.current) return;
          setCount(r.count);
          setCountError(null);
          setCounting(false);
        },
        (e) => {
          if (n !== asked.current) return;
          setCount(null);
          setCountError(e);
          setCounting(false);
        },
      );
    }, COUNT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [key]);

  async function save(e: Event) {
    e.preventDefault();
    const body = { name: name.trim(), description: description.trim() || null, filter };
    try {
      const s = p.segment
        ? await api<Segment>('PATCH', `/api/v1/segments/${p.segment.id}`, { body, idempotencyKey: newKey() })
        : await api<Segment>('POST', '/api/v1/segments', { body, idempotencyKey: newKey() });
      setErrs({});
      setMsg({ ok: true, text: w.segmentSaved });
      p.onSaved(s);
    } catch (err) {
      setErrs(fieldErrors(err));
      setMsg({ ok: false, text: errorText(t, err) });
    }
  }

  return (
    <form class="card builder" aria-labelledby="builder-title" onSubmit={save}>
      <h2 id="builder-title">{p.segment ? w.editSegment : w.newSegment}</h2>
      {msg && <Alert kind={msg.ok ? 'ok' : 'error'}>{msg.text}</Alert>}
      <div class="cols">
        <Field label={w.segmentName} value={name} onInput={setName} required dirAuto error={errs.name} />
        <TextArea label={w.segmentDescription} value={description} onInput={setDescription} error={errs.description} />
      </div>
      <GroupEditor group={root} depth={0} onChange={setRoot} />
      <p class="live-count" role="status" aria-live="polite" data-testid="live-count" data-count={count ?? ''} aria-busy={counting}>
        {!ready ? w.incomplete : countError ? errorText(t, countError) : count === null ? w.counting : w.liveCount(i.num(count))}
      </p>
      {p.canWrite && (
        <div class="row">
          <button type="submit">{t.save}</button>
        </div>
      )}
    </form>
  );
}

function GroupEditor(p: { group: Group; depth: number; onChange: (g: Group) => void; onRemove?: () => void }) {
  const { w } = useConsole();
  const g = p.group;
  const setChild = (n: number, c: Node) => p.onChange({ ...g, children: g.children.map((x, k) => (k === n ? c : x)) });
  const removeChild = (n: number) => p.onChange({ ...g, children: g.children.filter((_, k) => k !== n) });
  const modes: [Mode, string][] = [
    ['all', w.matchAll],
    ['any', w.matchAny],
    ['none', w.matchNone],
  ];
  return (
    <fieldset class="group" data-depth={p.depth}>
      <legend>
        <label>
          {w.groupMatch}{' '}
          <select value={g.mode} onChange={(e) => p.onChange({ ...g, mode: (e.target as HTMLSelectElement).value as Mode })}>
            {modes.map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </label>
      </legend>
      <ol class="conds">
        {g.children.map((c, n) => (
          <li>
            {c.type === 'cond' ? (
              <CondEditor cond={c} onChange={(x) => setChild(n, x)} onRemove={() => removeChild(n)} />
            ) : (
              <GroupEditor group={c} depth={p.depth + 1} onChange={(x) => setChild(n, x)} onRemove={() => removeChild(n)} />
            )}
          </li>
        ))}
      </ol>
      <div class="row">
        <button type="button" class="secondary" onClick={() => p.onChange({ ...g, children: [...g.children, newCond()] })}>
          {w.addCondition}
        </button>
        {p.depth < 6 && (
          <button
            type="button"
            class="secondary"
            onClick={() => p.onChange({ ...g, children: [...g.children, { type: 'group', mode: 'any', children: [newCond()] }] })}
          >
            {w.addGroup}
          </button>
        )}
        {p.onRemove && (
          <button type="button" class="link" onClick={p.onRemove}>
            {w.removeGroup}
          </button>
        )}
      </div>
    </fieldset>
  );
}

let condSeq = 0;

function CondEditor(p: { cond: Cond; onChange: (c: Cond) => void; onRemove: () => void }) {
  const i = useConsole();
  const { t, w } = i;
  const [id] = useState(() => `c${++condSeq}`);
  const c = p.cond;
  const f = fieldOf(c.field);
  const list = c.op === 'in' || c.op === 'between';
  const fieldNames = FIELDS[c.field] ? Object.keys(FIELDS) : [c.field, ...Object.keys(FIELDS)];
  return (
    <div class="cond" role="group" aria-label={`${w.fields[c.field] ?? c.field} ${w.ops[c.op] ?? c.op}`}>
      <div class="field">
        <label for={`${id}-f`}>{w.field}</label>
        <select
          id={`${id}-f`}
          value={c.field}
          onChange={(e) => p.onChange(newCond((e.target as HTMLSelectElement).value))}
        >
          {fieldNames.map((k) => (
            <option value={k}>{w.fields[k] ?? k}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={`${id}-o`}>{w.operator}</label>
        <select
          id={`${id}-o`}
          value={c.op}
          onChange={(e) => {
            const op = (e.target as HTMLSelectElement).value;
            const yesNo = op === 'exists' || f.kind === 'bool';
            p.onChange({ ...c, op, value: yesNo ? 'true' : isYesNo(c) ? '' : c.value });
          }}
        >
          {f.ops.map((o) => (
            <option value={o}>{w.ops[o] ?? o}</option>
          ))}
        </select>
      </div>
      <div class="field grow">
        <label for={`${id}-v`}>{w.value}</label>
        {isYesNo(c) ? (
          <select id={`${id}-v`} value={c.value} onChange={(e) => p.onChange({ ...c, value: (e.target as HTMLSelectElement).value })}>
            <option value="true">{t.yes}</option>
            <option value="false">{t.no}</option>
          </select>
        ) : f.choices && !list ? (
          <select id={`${id}-v`} value={c.value} onChange={(e) => p.onChange({ ...c, value: (e.target as HTMLSelectElement).value })}>
            {f.choices.map((v) => (
              <option value={v}>{w.classes[v] ?? (v === 'member' ? t.kindMember : v === 'prospect' ? t.kindProspect : v)}</option>
            ))}
          </select>
        ) : (
          <input
            id={`${id}-v`}
            value={c.value}
            dir="auto"
            aria-describedby={list ? `${id}-h` : undefined}
            onInput={(e) => p.onChange({ ...c, value: (e.target as HTMLInputElement).value })}
          />
        )}
        {list && (
          <small id={`${id}-h`} class="hint">
            {w.valueListHint}
          </small>
        )}
      </div>
      <button type="button" class="link" aria-label={w.removeCondition} onClick={p.onRemove}>
        {w.remove}
      </button>
    </div>
  );
}
