"""A randomized test of the points ledger against an independent model.

A seeded random sequence of operations over 8 members: purchases (with items, at several stores), partial and
whole returns (and returns larger than what is left), adjustments up and down (and beyond what is available),
transfers, earning events, replays and conflicting replays, switching the return policy, and moving the
server's clock forward so that pending points mature and lots expire. The programme has pending_days and an
expiry in days; the rules are a per-amount rate, a store multiplier, a category multiplier, a bonus with a daily
cap, a first-purchase bonus and a capped custom-event bonus.

The model (plain Python below) keeps each member's lots, debt, aggregates and the rules' grants, and predicts
every answer: points earned and the explanation, points reversed, balances, 409s. After every clock move the
server must reach the model's balances (the jobs run on the clock's minute); at the end, for every member,
GET /members/{id} equals the model, available + pending equals the sum of their ledger (every page), and
`bashgah verify` exits 0 (run while the server runs).

BASHGAH_SEED=N reruns a given sequence; the seed is printed at the start and in every failure."""

import os
import random
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, urlquote  # noqa: E402

MEMBERS = API + "/members"
TXNS = API + "/transactions"
EVENTS = API + "/events"
TRANSFERS = API + "/transfers"

T0 = 1772323200000  # 2026-03-01T00:00:00Z, a Sunday
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
OPS = int(os.environ.get("BASHGAH_RANDOM_OPS", "400"))
NMEMBERS = 8
PENDING_DAYS = 3
EXPIRY_DAYS = 20
STORES = ["S1", "S2", "S3"]
CATEGORIES = ["dairy", "bakery", "meat"]

# The rules (created in this order, so their ids are 1..6 on a fresh server; read back from the answers anyway).
BASE = {"name": "base rate", "priority": 10,
        "definition": {"kind": "per_amount", "points": 1, "per_amount_minor": 10000, "rounding": "floor"}}
S2_DOUBLE = {"name": "double at S2", "priority": 20,
             "definition": {"kind": "multiplier", "multiplier_permille": 2000, "stores": ["S2"]}}
DAIRY = {"name": "dairy x1.5", "priority": 30,
         "definition": {"kind": "multiplier", "multiplier_permille": 1500, "categories": ["dairy"]}}
BIG_BONUS = {"name": "big basket", "priority": 40,
             "definition": {"kind": "bonus", "points": 30, "min_amount_minor": 200000,
                            "cap": {"period": "day", "points": 70}}}
FIRST = {"name": "first purchase", "priority": 50,
         "definition": {"kind": "bonus", "points": 25, "first_purchase": True}}
REVIEW = {"name": "app review", "event": "custom", "priority": 10,
          "definition": {"kind": "bonus", "points": 15, "event_name": "review", "cap": {"period": "day", "points": 40}}}


class Lot:
    __slots__ = ("seq", "points", "remaining", "available_at", "matured", "expires_at", "txn", "expired")

    def __init__(self, seq, points, remaining, available_at, matured, expires_at, txn):
        self.seq, self.points, self.remaining = seq, points, remaining
        self.available_at, self.matured, self.expires_at, self.txn = available_at, matured, expires_at, txn
        self.expired = 0  # points this lot lost to expiry

    def order(self):  # spending and reversing take the lots that expire first (never: last), then the oldest
        return (self.expires_at is None, self.expires_at or 0, self.seq)


class MemberModel:
    def __init__(self, mid):
        self.id = mid
        self.available = self.pending = self.lifetime = 0
        self.purchase_count = self.total_spent = 0
        self.last_purchase_at = None
        self.purchases = 0  # purchase transactions, for first_purchase
        self.lots = []

    def balance(self):
        return {"available": self.available, "pending": self.pending, "lifetime": self.lifetime}


class Model:
    """The ledger as the issue describes it, independent of the server's code."""

    def __init__(self, now):
        self.now = now
        self.seq = 0
        self.return_policy = "negative"
        self.members = {}
        self.grants = {}  # (member, rule key, day) -> points
        self.txns = {}    # (store, txn_id) -> dict(member, amount, points, reversed, returned, id)
        self.written_off = {}  # txn -> expired points of its lots already written off by returns

    def expires(self):
        return self.now + EXPIRY_DAYS * DAY_MS

    def credit(self, m, points, immediate, lifetime, txn=None):
        if points <= 0:
            return
        matured = immediate or PENDING_DAYS <= 0
        owed = -m.available if m.available < 0 else 0
        remaining = points - min(owed, points) if matured else points
        self.seq += 1
        m.lots.append(Lot(self.seq, points, remaining, self.now if matured else self.now + PENDING_DAYS * DAY_MS,
                          matured, self.expires(), txn))
        if matured:
            m.available += points
        else:
            m.pending += points
        if lifetime:
            m.lifetime += points

    def take(self, m, lots, need):
        """Takes up to need from lots in order; returns (from available, from pending)."""
        av = pe = 0
        for lot in sorted(lots, key=Lot.order):
            if need <= 0:
                break
            t = min(lot.remaining, need)
            if t <= 0:
                continue
            lot.remaining -= t
            need -= t
            if lot.matured:
                av += t
            else:
                pe += t
        return av, pe

    def spend(self, m, points):
        if points <= 0 or m.available < points:
            return False
        av, pe = self.take(m, [l for l in m.lots if l.matured], points)
        assert (av, pe) == (points, 0), "model: lots disagree with available"
        m.available -= points
        return True

    def transfer(self, a, b, points):
        """Each source lot passes to a receiver lot with the same expiry; the receiver's debt is repaid first."""
        if points <= 0 or a.available < points:
            return False
        need, owed = points, (-b.available if b.available < 0 else 0)
        for lot in sorted([l for l in a.lots if l.matured], key=Lot.order):
            if need <= 0:
                break
            t = min(lot.remaining, need)
            if t <= 0:
                continue
            lot.remaining -= t
            need -= t
            repay = min(owed, t)
            owed -= repay
            self.seq += 1
            b.lots.append(Lot(self.seq, t, t - repay, self.now, True, lot.expires_at, None))
        assert need == 0, "model: lots disagree with available"
        a.available -= points
        b.available += points
        return True

    def reverse(self, m, txn, points):
        if points <= 0:
            return 0
        av, pe = self.take(m, [l for l in m.lots if l.txn == txn], points)
        a2, p2 = self.take(m, [l for l in m.lots if l.matured], points - av - pe)
        av, pe = av + a2, pe + p2
        a3, p3 = self.take(m, [l for l in m.lots if not l.matured], points - av - pe)
        av, pe = av + a3, pe + p3
        owed = points - av - pe
        # Points of the purchase that already expired are written off from club:expired, not taken again.
        open_expired = sum(l.expired for l in m.lots if l.txn == txn) - self.written_off.get(txn, 0)
        off = min(max(open_expired, 0), owed)
        if off > 0:
            self.written_off[txn] = self.written_off.get(txn, 0) + off
            owed -= off
        if owed > 0 and self.return_policy == "negative":
            av += owed
        m.available -= av
        m.pending -= pe
        m.lifetime -= av + pe
        return av + pe

    def cap(self, mid, key, cap, points):
        k = (mid, key, self.now // DAY_MS)  # the programme's zone is UTC: a day is a UTC day
        left = max(0, cap - self.grants.get(k, 0))
        given = min(points, left)
        if given > 0:
            self.grants[k] = self.grants.get(k, 0) + given
        return given, given < points

    def purchase_points(self, m, amount, store, items):
        """[(rule key, points, capped)] in (priority, id) order, as the rules evaluate (docs/rules.md)."""
        lines = []
        base = amount // 10000
        if base > 0:
            lines.append(("base", base, False))
        if store == "S2" and base > 0:
            lines.append(("s2", base, False))
        dairy = [it for it in items if it["category"] == "dairy"]
        if dairy and base > 0:
            scoped = min(sum(it["amount"] for it in dairy) // 10000, base)
            extra = scoped * 500 // 1000
            if extra > 0:
                lines.append(("dairy", extra, False))
        if amount >= 200000:
            given, capped = self.cap(m.id, "big", 70, 30)
            if given > 0:
                lines.append(("big", given, capped))
        if m.purchases == 0:
            lines.append(("first", 25, False))
        return lines

    def mature_and_expire(self):
        """The minute jobs at self.now: first pending lots that came due (repaying debt), then expiry."""
        due = sorted(((l.available_at, l.seq, m, l) for m in self.members.values() for l in m.lots
                      if not l.matured and l.available_at <= self.now), key=lambda x: (x[0], x[1]))
        for _, _, m, lot in due:
            owed = -m.available if m.available < 0 else 0
            repay = min(owed, lot.remaining)
            before = lot.remaining
            lot.matured = True
            lot.remaining -= repay
            m.available += before
            m.pending -= before
        for m in self.members.values():
            for lot in m.lots:
                if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= self.now:
                    if lot.matured:
                        m.available -= lot.remaining
                    else:
                        m.pending -= lot.remaining
                    lot.expired += lot.remaining
                    lot.remaining = 0


class LedgerRandomTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.seed = int(os.environ.get("BASHGAH_SEED") or random.SystemRandom().randrange(1, 2 ** 31))
        print("\nledger random test: BASHGAH_SEED=%d (%d operations)" % (self.seed, OPS), file=sys.stderr)
        self.rng = random.Random(self.seed)
        self.server = harness.Server(clock_ms=T0).start()
        self.owner = self.server.client(self.server.apikey("owner"))

    def tearDown(self):
        if self.server.alive():
            self.server.stop()

    # ----- helpers

    def ok(self, r, status=201):
        self.assertEqual(r.status, status, "seed=%d: %r" % (self.seed, r))
        return r.body

    def check(self, cond, msg):
        if not cond:
            self.fail("seed=%d op %d (%s): %s" % (self.seed, self.op_no, self.op_name, msg))

    def problem(self, r, status, slug):
        self.check(r.status == status and isinstance(r.body, dict) and
                   r.body.get("type") == harness.PROBLEM_BASE + slug, "want %d %s, got %r" % (status, slug, r))

    def server_points(self, mid):
        r = self.owner.get("%s/%d" % (MEMBERS, mid))
        self.check(r.status == 200, repr(r))
        return r.body

    def check_member(self, m):
        got = self.server_points(m.id)["points"]
        self.check(got == m.balance(), "member %d: server %r, model %r" % (m.id, got, m.balance()))

    def wait_all(self, timeout=5.0):
        """After a clock move: the jobs run at the next tick; the server must reach the model's balances."""
        time.sleep(0.25)
        deadline = time.monotonic() + timeout
        while True:
            diff = {}
            for m in self.model.members.values():
                got = self.server_points(m.id)["points"]
                if got != m.balance():
                    diff[m.id] = (got, m.balance())
            if not diff:
                return
            if time.monotonic() > deadline:
                self.check(False, "after the clock moved to %d: {member: (server, model)} %r" % (self.model.now, diff))
            time.sleep(0.05)

    def ledger_sum(self, mid):
        total, n, cursor = 0, 0, None
        for _ in range(100000):
            q = "?limit=7" + ("&cursor=" + urlquote(cursor) if cursor else "")
            r = self.owner.get("%s/%d/ledger%s" % (MEMBERS, mid, q))
            self.check(r.status == 200, repr(r))
            total += sum(p["points"] for p in r.body["items"])
            n += len(r.body["items"])
            cursor = r.body.get("next_cursor")
            if not cursor:
                return total, n
        self.check(False, "ledger never ended")

    # ----- operations

    def op_purchase(self):
        m = self.rng.choice(list(self.model.members.values()))
        kind = self.rng.random()
        amount = 0 if kind < 0.03 else self.rng.randint(1, 9999) if kind < 0.12 else self.rng.randint(10000, 650000)
        store = self.rng.choice(STORES)
        items = []
        if amount > 0 and self.rng.random() < 0.5:
            cuts = sorted(self.rng.randint(0, amount) for _ in range(self.rng.randint(0, 2)))
            bounds = [0] + cuts + [amount]
            for i in range(len(bounds) - 1):
                items.append({"sku": "SKU-%d" % self.rng.randint(1, 20), "category": self.rng.choice(CATEGORIES),
                              "quantity": self.rng.randint(1, 3), "amount": bounds[i + 1] - bounds[i]})
        self.n += 1
        body = {"type": "purchase", "member_id": m.id, "store": store, "txn_id": "P-%d" % self.n, "amount": amount}
        if items:
            body["items"] = items
        lines = self.model.purchase_points(m, amount, store, items)
        a = self.ok(self.owner.post(TXNS, body))
        want = [(self.rule_ids[k], p) for k, p, _ in lines]
        got = [(e["rule_id"], e["points"]) for e in a["explanation"]]
        self.check(got == want, "purchase %r: explanation %r, model %r" % (body, a["explanation"], want))
        for (k, _, capped), e in zip(lines, a["explanation"]):
            self.check(e["rule"].endswith("(capped)") == capped, "capped line %r" % e)
        points = sum(p for _, p, _ in lines)
        self.check(a["points_earned"] == points, "points_earned %d, model %d" % (a["points_earned"], points))
        key = (store, body["txn_id"])
        self.model.credit(m, points, False, True, key)
        m.purchases += 1
        m.purchase_count += 1
        m.total_spent += amount
        m.last_purchase_at = self.model.now if m.last_purchase_at is None else max(m.last_purchase_at, self.model.now)
        self.model.txns[key] = {"member": m, "amount": amount, "points": points, "reversed": 0, "returned": 0,
                                "id": a["id"]}
        self.check(a["balance"] == m.balance(), "balance %r, model %r" % (a["balance"], m.balance()))
        self.sent.append((body, a))

    def op_return(self):
        open_ = [(k, t) for k, t in self.model.txns.items() if t["amount"] > t["returned"]]
        if not open_:
            return self.op_purchase()
        key, t = self.rng.choice(open_)
        m = t["member"]
        left = t["amount"] - t["returned"]
        roll = self.rng.random()
        amount = left if roll < 0.35 else left + self.rng.randint(1, 5000) if roll < 0.45 else self.rng.randint(1, left)
        self.n += 1
        body = {"type": "return", "member_id": m.id, "store": key[0], "txn_id": "R-%d" % self.n, "amount": amount,
                "original_txn_id": key[1]}
        r = self.owner.post(TXNS, body)
        if amount > left:
            self.problem(r, 409, "conflict")
            return
        a = self.ok(r)
        returned = t["returned"] + amount
        target = t["points"] if returned == t["amount"] else t["points"] * returned // t["amount"]
        to_reverse = target - t["reversed"]
        reversed_ = self.model.reverse(m, key, to_reverse)
        t["reversed"] += to_reverse
        t["returned"] = returned
        m.total_spent -= amount
        self.check(a["points_reversed"] == reversed_, "return %r of %r: points_reversed %d, model %d (to reverse %d, "
                   "policy %s)" % (body, t, a["points_reversed"], reversed_, to_reverse, self.model.return_policy))
        self.check(a["balance"] == m.balance(), "balance %r, model %r" % (a["balance"], m.balance()))
        self.sent.append((body, a))

    def op_adjust(self):
        m = self.rng.choice(list(self.model.members.values()))
        if self.rng.random() < 0.4:
            points = self.rng.randint(1, 60)
        else:
            points = -self.rng.randint(1, max(1, m.available + 10))
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, m.id), {"points": points, "reason": "random %d" % self.op_no})
        if points > 0:
            self.model.credit(m, points, True, False)
        elif not self.model.spend(m, -points):
            self.problem(r, 409, "insufficient-points")
            return
        a = self.ok(r)
        self.check(a["balance"] == m.balance(), "adjust %d: balance %r, model %r" % (points, a["balance"], m.balance()))

    def op_transfer(self):
        a, b = self.rng.sample(list(self.model.members.values()), 2)
        points = self.rng.randint(1, max(1, a.available + 5))
        r = self.owner.post(TRANSFERS, {"from_member_id": a.id, "to_member_id": b.id, "points": points,
                                        "reason": "random %d" % self.op_no})
        if not self.model.transfer(a, b, points):
            self.problem(r, 409, "insufficient-points")
            return
        self.ok(r)
        self.check_member(a)
        self.check_member(b)

    def op_event(self):
        m = self.rng.choice(list(self.model.members.values()))
        self.n += 1
        name = "review" if self.rng.random() < 0.8 else "other"
        body = {"type": "custom", "name": name, "member_id": m.id, "event_id": "E-%d" % self.n}
        a = self.ok(self.owner.post(EVENTS, body))
        points = 0
        if name == "review":
            points, _ = self.model.cap(m.id, "review", 40, 15)
        self.check(a["points_earned"] == points, "event: %r, model %d" % (a, points))
        self.model.credit(m, points, False, True)
        self.check(a["balance"] == m.balance(), "balance %r, model %r" % (a["balance"], m.balance()))
        self.sent.append((body, a))

    def op_replay(self):
        if not self.sent:
            return self.op_purchase()
        body, first = self.rng.choice(self.sent)
        path = EVENTS if "event_id" in body else TXNS
        if self.rng.random() < 0.25:
            changed = dict(body)
            if "amount" in changed:
                changed["amount"] += 1
            else:
                changed["name"] = changed["name"] + "x"
            self.problem(self.owner.post(path, changed), 409, "idempotency-conflict")
            return
        r = self.owner.post(path, body)
        self.check(r.status == 201 and r.headers.get("Idempotent-Replayed") == "true",
                   "replay of %r: %r" % (body, r))
        self.check(r.body == first, "replay of %r answered %r, first %r" % (body, r.body, first))

    def op_policy(self):
        policy = "remaining" if self.model.return_policy == "negative" else "negative"
        self.ok(self.owner.patch(API + "/programme", {"return_policy": policy}), 200)
        self.model.return_policy = policy

    def op_clock(self):
        step = self.rng.randint(HOUR_MS, 4 * DAY_MS)
        self.model.now += step
        self.server.set_clock(self.model.now)
        self.model.mature_and_expire()
        self.wait_all()

    # ----- the test

    def test_random_sequence_agrees_with_the_model_and_verifies(self):
        srv = self.server
        self.ok(self.owner.patch(API + "/programme", {
            "time_zone": "UTC", "calendar": "gregorian", "pending_days": PENDING_DAYS, "expiry_policy": "days",
            "expiry_days": EXPIRY_DAYS, "expiry_warning_days": 5, "return_policy": "negative",
            "transfers_allowed": True}), 200)
        self.rule_ids = {}
        for key, rule in (("base", BASE), ("s2", S2_DOUBLE), ("dairy", DAIRY), ("big", BIG_BONUS), ("first", FIRST),
                          ("review", REVIEW)):
            self.rule_ids[key] = self.ok(self.owner.post(API + "/rules", rule))["id"]
        self.model = Model(T0)
        for i in range(NMEMBERS):
            mid = self.ok(self.owner.post(MEMBERS, {"external_ref": "RND-%d" % i, "given_name": "R%d" % i}))["id"]
            self.model.members[mid] = MemberModel(mid)
        self.n = 0
        self.sent = []
        ops = [(self.op_purchase, 34), (self.op_return, 13), (self.op_adjust, 14), (self.op_transfer, 8),
               (self.op_event, 6), (self.op_replay, 10), (self.op_clock, 8), (self.op_policy, 2)]
        funcs = [f for f, _ in ops]
        weights = [w for _, w in ops]
        started = time.monotonic()
        counts = {}
        for self.op_no in range(OPS):
            f = self.rng.choices(funcs, weights)[0]
            self.op_name = f.__name__
            counts[self.op_name] = counts.get(self.op_name, 0) + 1
            f()
        # A last move far ahead: everything matures, and everything earned so far expires.
        self.op_no, self.op_name = OPS, "final clock"
        self.model.now += EXPIRY_DAYS * DAY_MS + DAY_MS
        srv.set_clock(self.model.now)
        self.model.mature_and_expire()
        self.wait_all()
        print("ops %r in %.1f s" % (counts, time.monotonic() - started), file=sys.stderr)

        # Every member: the record equals the model, the ledger sums to the balance, the aggregates hold.
        for m in self.model.members.values():
            rec = self.server_points(m.id)
            self.check(rec["points"] == m.balance(), "member %d: %r, model %r" % (m.id, rec["points"], m.balance()))
            total, n = self.ledger_sum(m.id)
            self.check(total == m.available + m.pending,
                       "member %d: ledger sums to %d, available + pending %d" % (m.id, total, m.available + m.pending))
            self.check(rec["points"]["available"] + rec["points"]["pending"] == total, "record vs ledger")
            agg = rec["aggregates"]
            self.check((agg["purchase_count"], agg["total_spent"]) == (m.purchase_count, m.total_spent),
                       "member %d aggregates %r, model %r" % (m.id, agg, (m.purchase_count, m.total_spent)))
            want_last = None if m.last_purchase_at is None else \
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(m.last_purchase_at // 1000)) + \
                ".%03dZ" % (m.last_purchase_at % 1000)
            self.check(agg["last_purchase_at"] == want_last, "member %d last purchase %r, model %r" %
                       (m.id, agg["last_purchase_at"], want_last))
            self.check(n > 0 or m.lifetime == 0, "member %d has no postings" % m.id)
        # Every purchase: what was returned and reversed.
        for key, t in self.model.txns.items():
            g = self.ok(self.owner.get("%s/%d" % (TXNS, t["id"])), 200)
            self.check((g["points_earned"], g["points_reversed"], g["amount_returned"]) ==
                       (t["points"], t["reversed"], t["returned"]), "transaction %r: %r, model %r" % (key, g, t))
            self.check(g["points_reversed"] <= g["points_earned"], "over-reversed %r" % g)
        p = srv.cli("verify")
        self.check(p.returncode == 0, "bashgah verify exit %d:\n%s%s" % (p.returncode, p.stdout, p.stderr))
        self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    harness.main()
