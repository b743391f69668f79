// The JSON API from the browser: same-origin fetches with the session cookie, the CSRF token on writes, and
// RFC 9457 problems turned into ApiError (with the field errors, for forms). Two sessions live side by side:
// staff (bashgah_session) and member (bashgah_portal); each keeps its CSRF token for the tab in sessionStorage.

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  status: number;
  slug: string;
  errors: FieldError[];
  constructor(status: number, slug: string, detail: string, errors: FieldError[]) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.errors = errors;
  }
  /** The message for one field, if the server named it. */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.field === name)?.message;
  }
}

export type Realm = 'staff' | 'portal';

const csrfKey = (realm: Realm) => `bashgah.${realm}.csrf`;

export function setCsrf(realm: Realm, token: string | null): void {
  if (token) sessionStorage.setItem(csrfKey(realm), token);
  else sessionStorage.removeItem(csrfKey(realm));
}

/** Called when a request finds the session gone (401), so the app can show its sign-in. */
const onSignedOut: Partial<Record<Realm, () => void>> = {};
export function whenSignedOut(realm: Realm, fn: () => void): void {
  onSignedOut[realm] = fn;
}

interface Options {
  realm?: Realm;
  body?: unknown;
  idempotencyKey?: string;
  /** A 401 is an answer to show (a sign-in form), not a lost session. */
  quiet401?: boolean;
}

export async function api<T>(method: string, path: string, opts: Options = {}): Promise<T> {
  const realm = opts.realm ?? 'staff';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') {
    const token = sessionStorage.getItem(csrfKey(realm));
    if (token) headers['X-CSRF-Token'] = token;
  }
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', 'network', []);
  }
  const text = await res.text();
  const doc = text ? safeJson(text) : null;
  if (!res.ok) {
    const p = (doc ?? {}) as { type?: string; detail?: string; errors?: FieldError[] };
    const slug = p.type ? p.type.substring(p.type.lastIndexOf('/') + 1) : String(res.status);
    if (res.status === 401 && !opts.quiet401) onSignedOut[realm]?.();
    throw new ApiError(res.status, slug, p.detail ?? res.statusText, p.errors ?? []);
  }
  return doc as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A fresh key for one write that may be retried (a sale, a redemption). */
export function newKey(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// ---- the shapes the console and the portal read ----

export interface Points {
  available: number;
  pending: number;
  lifetime: number;
}

export interface TierRef {
  id: number;
  name_en: string;
  name_fa: string;
}

export interface Member {
  id: number;
  external_ref: string | null;
  given_name: string | null;
  family_name: string | null;
  phone: string | null;
  email: string | null;
  birthday: { date: string; calendar: string } | null;
  time_zone: string;
  locale: 'fa' | 'en';
  kind: 'member' | 'prospect';
  consent: { email: boolean; sms: boolean };
  created_at: string;
  points: Points;
  aggregates: { purchase_count: number; total_spent: number; last_purchase_at: string | null };
  tier: (TierRef & { since: string | null }) | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface LedgerEntry {
  id: number;
  at: string;
  kind: string;
  points: number;
  explanation: unknown;
  transaction_id?: number;
  redemption_id?: number;
}

export interface LedgerPage extends Page<LedgerEntry> {
  balance: Points;
}

export interface TierStatus {
  id: number | null;
  name_en: string | null;
  name_fa: string | null;
  progress: {
    basis: string;
    current: number;
    next_tier: { id: number; name_en: string; name_fa: string; threshold: number } | null;
    needed: number | null;
  } | null;
}

export interface Reward {
  id: number;
  name_en: string;
  name_fa: string;
  description_en: string | null;
  description_fa: string | null;
  kind: string;
  cost_points: number;
  in_stock?: boolean;
  stock?: number | null;
  active?: boolean;
}

export interface Redemption {
  id: number;
  reward_id: number;
  points: number;
  status: string;
  code: string;
  created_at: string;
  balance?: { available: number; pending: number };
}

export interface Programme {
  currency: string;
  currency_minor_units: number;
  point_value_minor: number;
  points_name: { en: string; fa: string };
}

export interface Tier {
  id: number;
  name_en: string;
  name_fa: string;
  rank: number;
}

export interface Me {
  kind: string;
  id: number;
  name: string;
  role: string;
}

export interface TransactionResult {
  id: number;
  member_id: number;
  points_earned: number;
  explanation: unknown;
  balance: Points;
  tier: TierRef | null;
}
