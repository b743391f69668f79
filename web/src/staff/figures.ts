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
