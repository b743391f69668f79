// The dashboard's key figures, from whichever source the server offers. Today that is the member list (each
// member carries their points and tier), read page by page up to MEMBER_PAGES_MAX; the reports endpoints
// (/api/v1/reports/...) will be a source of their own, tried first, giving the same Figures over the whole club.
import { api, type Member, type Page, type Programme, type Tier } from '../lib/api';

const PAGE_SIZE = 500;
const MEMBER_PAGES_MAX = 20;

export interface Figures {
  members: number;
  prospects: number;
  /** Members counted; smaller than the club when `partial`. */
  counted: number;
  partial: boolean;
  byTier: { tier: Tier | null; count: number }[];
  points: { available: number; pending: number; lifetime: number };
  purchases: number;
  totalSpentMinor: number;
  liabilityMinor: number;
  programme: Programme;
}

type Source = () => Promise<Figures | null>;

async function fromMembers(): Promise<Figures> {
  const [programme, tiers] = await Promise.all([
    api<Programme>('GET', '/api/v1/programme'),
    api<Page<Tier>>('GET', '/api/v1/tiers'),
  ]);
  const f: Figures = {
    members: 0,
    prospects: 0,
    counted: 0,
    partial: false,
    byTier: [{ tier: null, count: 0 }, ...tiers.items.map((tier) => ({ tier, count: 0 }))],
    points: { available: 0, pending: 0, lifetime: 0 },
    purchases: 0,
    totalSpentMinor: 0,
    liabilityMinor: 0,
    programme,
  };
  let cursor: string | null = null;
  for (let page = 0; page < MEMBER_PAGES_MAX; page++) {
    const q: string = `/api/v1/members?limit=${PAGE_SIZE}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
    const p: Page<Member> = await api<Page<Member>>('GET', q);
    p.items.forEach((m) => add(f, m));
    cursor = p.next_cursor;
    if (!cursor) break;
  }
  f.partial = cursor !== null;
  f.liabilityMinor = f.points.available * programme.point_value_minor;
  return f;
}

function add(f: Figures, m: Member) {
  f.counted++;
  if (m.kind === 'prospect') f.prospects++;
  else f.members++;
  f.points.available += m.points.available;
  f.points.pending += m.points.pending;
  f.points.lifetime += m.points.lifetime;
  f.purchases += m.aggregates.purchase_count;
  f.totalSpentMinor += m.aggregates.total_spent;
  const row = f.byTier.find((r) => (r.tier?.id ?? null) === (m.tier?.id ?? null)) ?? f.byTier[0];
  row.count++;
}

/** Sources in order of preference: the first that answers gives the figures. */
const sources: Source[] = [fromMembers];

export async function loadFigures(): Promise<Figures> {
  for (const s of sources) {
    const f = await s();
    if (f) return f;
  }
  throw new Error('no source of figures');
}

// ---- the reports (docs/reports.md): the whole club, for the roles that may read them ----

export interface ReportSummary {
  members: number;
  active_30: number;
  active_90: number;
  buyers: number;
  repeat_buyers: number;
  repeat_purchase_permille: number | null;
  earners: number;
  redeemers: number;
  redemption_permille: number | null;
  average_spend_minor: number | null;
  points_outstanding: number;
  liability_minor: number;
  currency?: string;
  classes: Record<string, number>;
}

export interface ReportPoint {
  start: string;
  end: string;
  label: string;
  value: number | null;
}

export interface ReportSeries {
  period: Period;
  time_zone: string;
  calendar: 'persian' | 'gregorian';
  from: string;
  to: string;
  series: { name: string; points: ReportPoint[] }[];
}

export type Period = 'day' | 'week' | 'month';

export interface Reports {
  summary: ReportSummary;
  classes: ReportSeries;
  members: ReportSeries;
  points: ReportSeries;
  sales: ReportSeries;
  programme: Programme;
}

export async function loadReports(period: Period): Promise<Reports> {
  const q = `?period=${period}`;
  const [summary, classes, members, points, sales, programme] = await Promise.all([
    api<ReportSummary>('GET', '/api/v1/reports/summary'),
    api<ReportSeries>('GET', `/api/v1/reports/classes${q}`),
    api<ReportSeries>('GET', `/api/v1/reports/members${q}`),
    api<ReportSeries>('GET', `/api/v1/reports/points${q}`),
    api<ReportSeries>('GET', `/api/v1/reports/sales${q}`),
    api<Programme>('GET', '/api/v1/programme'),
  ]);
  return { summary, classes, members, points, sales, programme };
}

/** The sum of one series over its periods (null values count as nothing). */
export function seriesTotal(r: ReportSeries, name: string): number {
  const s = r.series.find((x) => x.name === name);
  return s ? s.points.reduce((a, p) => a + (p.value ?? 0), 0) : 0;
}
