// The segment builder's model (docs/segments.md): groups of conditions, each group "all", "any" or "none" of its
// children, turned into the API's filter ({"all": [...]}, {"any": [...]}, {"not": {"any": [...]}}) and back.
// Values are typed as text and read by the field's type: numbers (Persian digits too), dates, lists, yes/no.
import { asciiDigits } from '../lib/i18n';

export type Mode = 'all' | 'any' | 'none';
export interface Cond {
  type: 'cond';
  field: string;
  op: string;
  value: string;
}
export interface Group {
  type: 'group';
  mode: Mode;
  children: Node[];
}
export type Node = Cond | Group;

type Kind = 'enum' | 'number' | 'time' | 'bool' | 'presence' | 'birthday';

const NUM_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in'];
const TIME_OPS = ['within_days', 'before', 'after', 'between', 'exists'];

/** Each field the builder offers: its type and its operators. */
export const FIELDS: Record<string, { kind: Kind; ops: string[]; choices?: string[] }> = {
  kind: { kind: 'enum', ops: ['eq', 'ne', 'in'], choices: ['member', 'prospect'] },
  class: { kind: 'enum', ops: ['eq', 'ne', 'in'], choices: ['prospect', 'new', 'main', 'occasional', 'at_risk', 'lapsed'] },
  tier: { kind: 'number', ops: ['eq', 'ne', 'in', 'exists'] },
  spend: { kind: 'number', ops: NUM_OPS },
  purchase_count: { kind: 'number', ops: NUM_OPS },
  points_available: { kind: 'number', ops: NUM_OPS },
  points_pending: { kind: 'number', ops: NUM_OPS },
  points_lifetime: { kind: 'number', ops: NUM_OPS },
  rfm_r: { kind: 'number', ops: [...NUM_OPS, 'exists'] },
  rfm_f: { kind: 'number', ops: [...NUM_OPS, 'exists'] },
  rfm_m: { kind: 'number', ops: [...NUM_OPS, 'exists'] },
  value: { kind: 'number', ops: [...NUM_OPS, 'exists'] },
  last_purchase: { kind: 'time', ops: TIME_OPS },
  first_purchase: { kind: 'time', ops: TIME_OPS },
  joined: { kind: 'time', ops: TIME_OPS.filter((o) => o !== 'exists') },
  birthday: { kind: 'birthday', ops: ['within_days', 'exists'] },
  consent_email: { kind: 'bool', ops: ['eq'] },
  consent_sms: { kind: 'bool', ops: ['eq'] },
  locale: { kind: 'enum', ops: ['eq', 'ne', 'in'], choices: ['fa', 'en'] },
  phone: { kind: 'presence', ops: ['exists'] },
  email: { kind: 'presence', ops: ['exists'] },
};

/** Whether the value is a yes/no choice (exists, the consents) rather than typed text. */
export function isYesNo(c: Cond): boolean {
  return c.op === 'exists' || fieldOf(c.field).kind === 'bool';
}

export function newCond(field = 'spend'): Cond {
  const f = FIELDS[field];
  const op = f.ops.includes('gte') ? 'gte' : f.ops[0];
  return { type: 'cond', field, op, value: op === 'exists' || f.kind === 'bool' ? 'true' : f.choices ? f.choices[0] : '' };
}

function scalar(kind: Kind, op: string, s: string): unknown {
  const v = asciiDigits(s).trim();
  if (op === 'within_days') return /^\d+$/.test(v) ? Number(v) : v;
  if (kind === 'number') return /^-?\d+$/.test(v.replace(/[,\u066C]/g, '')) ? Number(v.replace(/[,\u066C]/g, '')) : v;
  return v;
}

/** The field's description; an attribute or a field the builder does not list reads as text. */
export function fieldOf(name: string): { kind: Kind; ops: string[]; choices?: string[] } {
  return FIELDS[name] ?? { kind: 'enum', ops: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'exists'] };
}

function condJson(c: Cond): unknown {
  const f = fieldOf(c.field);
  let value: unknown;
  if (isYesNo(c)) value = c.value === 'true';
  else if (c.op === 'in' || c.op === 'between')
    value = c.value
      .split(/[,،]/)
      .map((x) => x.trim())
      .filter(Boolean)
      .map((x) => scalar(f.kind, c.op, x));
  else value = scalar(f.kind, c.op, c.value);
  return { field: c.field, op: c.op, value };
}

export function toFilter(n: Node): unknown {
  if (n.type === 'cond') return condJson(n);
  const kids = n.children.map(toFilter);
  if (n.mode === 'all') return { all: kids };
  if (kids.length === 0) return { all: [] };
  return n.mode === 'any' ? { any: kids } : { not: kids.length === 1 ? kids[0] : { any: kids } };
}

function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.map(String).join(', ');
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v === null || v === undefined ? '' : String(v);
}

/** The API's filter as the builder's tree; a bare condition or "not" at the top becomes a group. */
export function fromFilter(f: unknown): Group {
  const n = nodeOf(f);
  return n.type === 'group' ? n : { type: 'group', mode: 'all', children: [n] };
}

function nodeOf(f: unknown): Node {
  const o = (f ?? {}) as Record<string, unknown>;
  if (Array.isArray(o.all)) return { type: 'group', mode: 'all', children: o.all.map(nodeOf) };
  if (Array.isArray(o.any)) return { type: 'group', mode: 'any', children: o.any.map(nodeOf) };
  if (o.not !== undefined) {
    const inner = o.not as Record<string, unknown>;
    if (inner && Array.isArray(inner.any)) return { type: 'group', mode: 'none', children: inner.any.map(nodeOf) };
    return { type: 'group', mode: 'none', children: [nodeOf(inner)] };
  }
  return { type: 'cond', field: String(o.field ?? 'spend'), op: String(o.op ?? 'gte'), value: valueText(o.value) };
}

/** Whether every condition has a value (the count is asked only then). */
export function complete(n: Node): boolean {
  return n.type === 'cond' ? isYesNo(n) || n.value.trim() !== '' : n.children.every(complete);
}
