// Pieces the console's editors share: the editor's form, a labelled select and text area, whole numbers typed in
// any digits, a list read from the API, and a save that turns the server's field errors into messages under the
// fields.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Page } from '../lib/api';
import { asciiDigits } from '../lib/i18n';
import { Alert } from '../lib/ui';
import { useConsole } from './consoleWords';

let seq = 0;
function useId(prefix: string): string {
  const [id] = useState(() => `${prefix}${++seq}`);
  return id;
}

/** A catalogue's editor (rewards, tiers, rules): a card form titled for adding or for editing, the last save's
 * message, the fields as children, then Add (Save while editing) and, while editing, Cancel. */
export function EditorForm(p: {
  id: string;
  titles: [adding: string, editing: string];
  editing: boolean;
  msg: { ok: boolean; text: string } | null;
  busy?: boolean;
  onSubmit: (e: Event) => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  const { t, w } = useConsole();
  return (
    <form id={p.id} tabIndex={-1} class="card" aria-labelledby={`${p.id}-title`} onSubmit={p.onSubmit}>
      <h2 id={`${p.id}-title`}>{p.editing ? p.titles[1] : p.titles[0]}</h2>
      {p.msg && <Alert kind={p.msg.ok ? 'ok' : 'error'}>{p.msg.text}</Alert>}
      {p.children}
      <div class="row">
        <button type="submit" disabled={p.busy}>
          {p.editing ? t.save : w.add}
        </button>
        {p.editing && (
          <button type="button" class="secondary" onClick={p.onCancel}>
            {t.cancel}
          </button>
        )}
      </div>
    </form>
  );
}

export function Select(p: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (v: string) => void;
  error?: string;
}) {
  const id = useId('s');
  return (
    <div class={'field' + (p.error ? ' invalid' : '')}>
      <label for={id}>{p.label}</label>
      <select
        id={id}
        value={p.value}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={p.error ? `${id}-err` : undefined}
        onChange={(e) => p.onChange((e.target as HTMLSelectElement).value)}
      >
        {p.options.map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
      {p.error && (
        <small id={`${id}-err`} class="error-text">
          {p.error}
        </small>
      )}
    </div>
  );
}

export function TextArea(p: { label: string; value: string; onInput: (v: string) => void; error?: string }) {
  const id = useId('t');
  return (
    <div class={'field' + (p.error ? ' invalid' : '')}>
      <label for={id}>{p.label}</label>
      <textarea
        id={id}
        rows={2}
        dir="auto"
        value={p.value}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={p.error ? `${id}-err` : undefined}
        onInput={(e) => p.onInput((e.target as HTMLTextAreaElement).value)}
      />
      {p.error && (
        <small id={`${id}-err`} class="error-text">
          {p.error}
        </small>
      )}
    </div>
  );
}

/** A whole number from what was typed (Persian digits too); null when empty, NaN when not a number. */
export function wholeOrNull(s: string): number | null {
  const v = asciiDigits(s).trim().replace(/[,\u066C]/g, '');
  if (v === '') return null;
  return /^-?\d+$/.test(v) ? Number(v) : NaN;
}

/** A date typed as YYYY-MM-DD as an RFC 3339 instant at UTC midnight; null when empty. */
export function dateOrNull(s: string): string | null {
  const v = asciiDigits(s).trim();
  return v === '' ? null : `${v}T00:00:00Z`;
}

export function dateField(iso: string | null | undefined): string {
  return iso ? iso.substring(0, 10) : '';
}

export function str(n: number | null | undefined): string {
  return n === null || n === undefined ? '' : String(n);
}

/** Every item of a list endpoint, following next_cursor (the catalogue lists are short). */
export function useList<T>(path: string): { items: T[] | null; error: unknown; reload: () => void } {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let gone = false;
    (async () => {
      const all: T[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const sep = path.includes('?') ? '&' : '?';
        const p: Page<T> = await api<Page<T>>('GET', path + (cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''));
        all.push(...p.items);
        cursor = p.next_cursor;
        if (!cursor) break;
      }
      return all;
    })().then(
      (all) => !gone && (setItems(all), setError(null)),
      (e) => !gone && setError(e),
    );
    return () => {
      gone = true;
    };
  }, [path, n]);
  return { items, error, reload: () => setN((x) => x + 1) };
}

/** A long list read a page at a time: load(null) reads the first page, load(next) adds the one after. path gives
 * the address of a page (with its cursor); the first page is read again whenever deps change. */
export function usePages<T>(
  path: (cursor: string | null) => string,
  deps: unknown[],
): {
  items: T[] | null;
  next: string | null;
  error: unknown;
  clearError: () => void;
  load: (cursor: string | null) => Promise<void>;
} {
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function load(cursor: string | null) {
    try {
      const p = await api<Page<T>>('GET', path(cursor));
      setItems((old) => (cursor && old ? [...old, ...p.items] : p.items));
      setNext(p.next_cursor);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    load(null);
  }, deps);
  return { items, next, error, clearError: () => setError(null), load };
}

/** Field errors from an ApiError, by field name ("definition.points" stays as the server wrote it). */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError) for (const f of e.errors) out[f.field] = f.message;
  return out;
}
