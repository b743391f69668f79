// Small shared pieces: labelled fields, messages, tables, the language switch, and how a ledger entry is explained.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from './api';
import { setLang, useI18n, type I18n } from './i18n';

let fieldSeq = 0;

interface FieldProps {
  label: string;
  value: string;
  onInput: (v: string) => void;
  type?: string;
  name?: string;
  hint?: string;
  error?: string;
  required?: boolean;
  autocomplete?: string;
  inputMode?: 'text' | 'numeric' | 'tel' | 'email';
  dirAuto?: boolean;
  autofocus?: boolean;
}

/** A labelled input with its hint and error tied to it for screen readers. */
export function Field(p: FieldProps) {
  const [id] = useState(() => `f${++fieldSeq}`);
  const described = [p.hint ? `${id}-hint` : '', p.error ? `${id}-err` : ''].filter(Boolean).join(' ');
  return (
    <div class={'field' + (p.error ? ' invalid' : '')}>
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value}
        required={p.required}
        autoComplete={p.autocomplete}
        inputMode={p.inputMode}
        dir={p.dirAuto ? 'auto' : undefined}
        autoFocus={p.autofocus}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={described || undefined}
        onInput={(e) => p.onInput((e.target as HTMLInputElement).value)}
      />
      {p.hint && (
        <small id={`${id}-hint`} class="hint">
          {p.hint}
        </small>
      )}
      {p.error && (
        <small id={`${id}-err`} class="error-text">
          {p.error}
        </small>
      )}
    </div>
  );
}

export function Check(p: { label: string; checked: boolean; onChange: (v: boolean) => void; name?: string }) {
  return (
    <label class="check">
      <input type="checkbox" name={p.name} checked={p.checked} onChange={(e) => p.onChange((e.target as HTMLInputElement).checked)} />
      <span>{p.label}</span>
    </label>
  );
}

/** The message for an error from the API, in the current language. */
export function errorText(t: I18n['t'], e: unknown): string {
  if (!(e instanceof ApiError)) return t.errorGeneric;
  if (e.status === 0) return t.errorNetwork;
  if (e.status === 403 && e.slug === 'forbidden') return t.errorForbidden;
  if (e.status === 403 && e.slug === 'csrf') return t.errorSession;
  return e.message || t.errorGeneric;
}

export function Alert(p: { kind?: 'error' | 'ok' | 'info'; children: ComponentChildren }) {
  const kind = p.kind ?? 'error';
  return (
    <div class={`alert ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {p.children}
    </div>
  );
}

/** A column of a Table: its heading, or [heading, 'num'] for a column of figures (aligned as numbers). */
export type Column = string | [string, 'num'];

/** A table in its scrolling wrapper: one header row from columns, and the rows given as children; class and
 * data-table (how the tests find it) go on the table itself. */
export function Table(p: { columns: Column[]; class?: string; 'data-table'?: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class={p.class} data-table={p['data-table']}>
        <thead>
          <tr>
            {p.columns.map((c) =>
              typeof c === 'string' ? (
                <th scope="col">{c}</th>
              ) : (
                <th scope="col" class="num">
                  {c[0]}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{p.children}</tbody>
      </table>
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p class="muted" role="status">
      {t.loading}
    </p>
  );
}

/** A list read from the API, in its states: the error (when any), then Loading until the items come, the empty
 * text (a paragraph of class emptyClass) when there are none, else what children makes of them. Without empty, an
 * empty list goes to children too. */
export function ListState<T>(p: {
  items: T[] | null;
  error: unknown;
  empty?: ComponentChildren;
  emptyClass?: string;
  children: (items: T[]) => ComponentChildren;
}) {
  const { t } = useI18n();
  return (
    <>
      {p.error != null && <Alert>{errorText(t, p.error)}</Alert>}
      {p.items === null ? (
        <Loading />
      ) : p.items.length === 0 && p.empty !== undefined ? (
        <p class={p.emptyClass}>{p.empty}</p>
      ) : (
        p.children(p.items)
      )}
    </>
  );
}

export function LangSwitch() {
  const { lang, t } = useI18n();
  const other = lang === 'fa' ? 'en' : 'fa';
  return (
    <button type="button" class="link lang" lang={other} onClick={() => setLang(other, true)}>
      {t.language}
    </button>
  );
}

/** Numbers, phones and codes stay left-to-right inside Persian text. */
export function Ltr(p: { children: ComponentChildren }) {
  return (
    <bdi dir="ltr" class="ltr">
      {p.children}
    </bdi>
  );
}

/** Why a ledger entry happened, from its kind and its explanation (rule lines, a reward, a reason): the kind's
 *  label and the parts as the server wrote them. */
export function explainParts(i: I18n, kind: string, explanation: unknown): { label: string; parts: string[] } {
  const parts: string[] = [];
  if (Array.isArray(explanation)) {
    for (const line of explanation as { rule?: string; points?: number; reason?: string }[]) {
      if (line && typeof line === 'object') {
        const what = line.rule ?? line.reason ?? '';
        parts.push(line.points !== undefined ? `${what}: ${i.pts(line.points, true)}` : what);
      }
    }
  } else if (explanation && typeof explanation === 'object') {
    const o = explanation as Record<string, unknown>;
    if (typeof o.reward === 'string') parts.push(`${i.t.reward}: ${o.reward}`);
    if (typeof o.reason === 'string') parts.push(o.reason);
    if (typeof o.rule === 'string') parts.push(o.rule);
  } else if (typeof explanation === 'string') {
    parts.push(explanation);
  }
  return { label: i.t.ledgerKinds[kind] ?? kind, parts };
}

/** The explanation as text; each part is isolated for bidi, since rule names may be in the other language. */
export function Explain({ i, kind, explanation }: { i: I18n; kind: string; explanation: unknown }) {
  const { label, parts } = explainParts(i, kind, explanation);
  return (
    <>
      {label}
      {parts.map((p, n) => (
        <>
          {n === 0 ? ' — ' : i.lang === 'fa' ? '؛ ' : '; '}
          <bdi>{p}</bdi>
        </>
      ))}
    </>
  );
}
