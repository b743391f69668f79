"""API tests for the points engine's transactions: purchases earning by rules (with the explanation), replays and
conflicting replays on (store, txn_id), how a purchase names its member, validation naming fields, partial and
whole returns (proportional, never over-reversing), both return policies, programme settings, pending points
maturing and lots expiring on the server's clock, adjustments, transfers, earning events, the member's
aggregates, roles; and `bashgah verify` clean at the end of every class (run while the server runs)."""

import http.client
import json
import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, uniq, unique_phone, urlquote  # noqa: E402

MEMBERS = API + "/members"
TXNS = API + "/transactions"
RULES = API + "/rules"
PROGRAMME = API + "/programme"
EVENTS = API + "/events"
TRANSFERS = API + "/transfers"

T0 = 1772323200000  # 2026-03-01T00:00:00Z
DAY_MS = 86400 * 1000
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


class Helpers:
    """Shared by the classes below; each class has its own server (self.server, self.owner)."""

    @classmethod
    def rule(cls, body):
        r = cls.owner.post(RULES, body)
        if r.status != 201:
            raise AssertionError("rule create failed: %r" % r)
        return r.body

    @classmethod
    def base_rule(cls):
        return cls.rule({"name": "base rate %d" % uniq(), "priority": 10,
                         "definition": {"kind": "per_amount", "points": 1, "per_amount_minor": 10000,
                                        "rounding": "floor"}})

    @classmethod
    def patch_programme(cls, body):
        r = cls.owner.patch(PROGRAMME, body)
        if r.status != 200:
            raise AssertionError("programme patch failed: %r" % r)
        return r.body

    def member(self, **extra):
        body = {"external_ref": "TX-%d" % uniq(), "given_name": "Buyer"}
        body.update(extra)
        r = self.owner.post(MEMBERS, body)
        self.assertEqual(r.status, 201, r)
        return r.body["id"]

    def txn(self, **kw):
        body = {"type": "purchase", "store": "S1", "txn_id": "T-%d" % uniq()}
        body.update(kw)
        return body

    def post_txn(self, body, client=None):
        return (client or self.owner).post(TXNS, body)

    def buy(self, mid, amount, **kw):
        body = self.txn(member_id=mid, amount=amount, **kw)
        r = self.post_txn(body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def ret(self, mid, original, amount, store="S1", **kw):
        body = self.txn(type="return", member_id=mid, store=store, amount=amount, original_txn_id=original, **kw)
        return self.post_txn(body)

    def returned(self, mid, original, amount, **kw):
        r = self.ret(mid, original, amount, **kw)
        self.assertEqual(r.status, 201, r)
        return r.body

    def get_member(self, mid):
        r = self.owner.get("%s/%d" % (MEMBERS, mid))
        self.assertEqual(r.status, 200, r)
        return r.body

    def points(self, mid):
        return self.get_member(mid)["points"]

    def ledger(self, mid, limit=3):
        """Every posting of the member, newest first, following next_cursor (small pages on purpose)."""
        items, cursor, balance = [], None, None
        for _ in range(10000):
            q = "?limit=%d" % limit + ("&cursor=" + urlquote(cursor) if cursor else "")
            r = self.owner.get("%s/%d/ledger%s" % (MEMBERS, mid, q))
            self.assertEqual(r.status, 200, r)
            items.extend(r.body["items"])
            balance = balance or r.body["balance"]
            cursor = r.body.get("next_cursor")
            if not cursor:
                ids = [p["id"] for p in items]
                self.assertEqual(ids, sorted(ids, reverse=True), "ledger pages out of order")
                self.assertEqual(len(ids), len(set(ids)), "a posting on two pages")
                return items
        self.fail("ledger never ended")

    def assert_ledger_agrees(self, mid):
        """The member's available + pending equals the sum of their postings."""
        pts = self.points(mid)
        total = sum(p["points"] for p in self.ledger(mid, limit=500))
        self.assertEqual(pts["available"] + pts["pending"], total, (pts, self.ledger(mid, limit=500)))
        return pts

    def wait_points(self, mid, want, timeout=5.0):
        """Polls GET /members/{id} until points has every key/value of want (the jobs run on the clock's minute)."""
        deadline = time.monotonic() + timeout
        while True:
            pts = self.points(mid)
            if all(pts[k] == v for k, v in want.items()):
                return pts
            if time.monotonic() > deadline:
                self.fail("member %d points %r, want %r" % (mid, pts, want))
            time.sleep(0.05)

    def db(self, sql, *args):
        path = os.path.join(self.server.data_dir, "bashgah.db")
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    @classmethod
    def verify_clean(cls):
        p = cls.server.cli("verify")
        if p.returncode != 0:
            raise AssertionError("bashgah verify exit %d:\n%s%s" % (p.returncode, p.stdout, p.stderr))
        return p


class ClassServer(Helpers, harness.ServerCase):
    """A server on a settable clock; tearDownClass runs `bashgah verify` while it still runs, then stops it."""

    server_kwargs = {"clock_ms": T0}

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server.alive():
                cls.verify_clean()
        finally:
            super().tearDownClass()


class PurchasesTest(ClassServer):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = cls.base_rule()
        cls.double_s9 = cls.rule({"name": "double at S9 %d" % uniq(), "priority": 20,
                                  "definition": {"kind": "multiplier", "multiplier_permille": 2000, "stores": ["S9"]}})
        cls.welcome = cls.rule({"name": "welcome %d" % uniq(), "event": "joined", "priority": 10,
                                "definition": {"kind": "bonus", "points": 100}})

    # ----- earning and the explanation

    def test_purchase_earns_by_the_per_amount_rule_and_explains(self):
        mid = self.member()
        a = self.buy(mid, 123456)
        self.assertEqual(a["points_earned"], 12)  # floor(123456 / 10000)
        self.assertEqual(a["explanation"], [{"rule_id": self.base["id"], "rule": self.base["name"], "points": 12}])
        self.assertEqual(a["type"], "purchase")
        self.assertEqual(a["member_id"], mid)
        self.assertEqual(a["amount"], 123456)
        self.assertEqual(a["balance"]["available"], 12)
        self.assertEqual(a["balance"]["pending"], 0)
        self.assertIn("tier", a)
        # The multiplier applies only at its store and shows only the extra points.
        b = self.buy(mid, 250000, store="S9")
        self.assertEqual(b["points_earned"], 50)
        self.assertEqual(b["explanation"], [
            {"rule_id": self.base["id"], "rule": self.base["name"], "points": 25},
            {"rule_id": self.double_s9["id"], "rule": self.double_s9["name"], "points": 25}])
        self.assertEqual(b["balance"]["available"], 62)
        # A purchase below one unit earns nothing and explains nothing, but still counts.
        c = self.buy(mid, 9999)
        self.assertEqual((c["points_earned"], c["explanation"]), (0, []))
        m = self.get_member(mid)
        self.assertEqual(m["points"], {"available": 62, "pending": 0, "lifetime": 62})
        self.assertEqual(m["aggregates"]["purchase_count"], 3)
        # The ledger: one earn posting per earning purchase, with the explanation stored with it.
        led = self.ledger(mid)
        self.assertEqual([(p["kind"], p["points"]) for p in led], [("earn", 50), ("earn", 12)])
        self.assertEqual(led[1]["explanation"], a["explanation"])
        self.assertEqual(led[1]["transaction_id"], a["id"])
        self.assertEqual((led[1]["from"], led[1]["to"]), ("club:issued", "member:%d" % mid))
        # GET /transactions/{id} gives the stored answer (without the balance of the time).
        g = self.owner.get("%s/%d" % (TXNS, a["id"]))
        self.assertEqual(g.status, 200, g)
        for k in ("id", "type", "member_id", "store", "txn_id", "amount", "points_earned", "explanation"):
            self.assertEqual(g.body[k], a[k], k)
        self.assertEqual((g.body["points_reversed"], g.body["amount_returned"]), (0, 0))
        assert_problem(self, self.owner.get(TXNS + "/987654321"), 404, "not-found")

    # ----- idempotency on (store, txn_id)

    def test_replay_returns_the_first_answer_and_creates_nothing(self):
        mid = self.member()
        body = self.txn(member_id=mid, amount=340000, items=[{"sku": "A", "category": "dairy", "quantity": 2,
                                                               "amount": 340000}])
        first = self.post_txn(body)
        self.assertEqual(first.status, 201, first)
        self.assertIsNone(first.headers.get("Idempotent-Replayed"))
        self.assertEqual(first.body["points_earned"], 34)
        led = self.ledger(mid)
        # Change the balance in between: the replay still answers what the first answer said.
        self.buy(mid, 100000)
        again = self.post_txn(body)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(again.body, first.body)
        # The same body with its keys in another order is the same request.
        reordered = dict(reversed(list(body.items())))
        third = self.post_txn(reordered)
        self.assertEqual((third.status, third.headers.get("Idempotent-Replayed")), (201, "true"), third)
        self.assertEqual(third.body, first.body)
        self.assertEqual(len(self.ledger(mid)), len(led) + 1)  # only the purchase in between
        m = self.get_member(mid)
        self.assertEqual(m["points"]["available"], 44)
        self.assertEqual((m["aggregates"]["purchase_count"], m["aggregates"]["total_spent"]), (2, 440000))
        # Same id, another body: 409, and nothing changes.
        changed = dict(body, amount=340001)
        r = self.post_txn(changed)
        assert_problem(self, r, 409, "idempotency-conflict", field="txn_id")
        other_member = self.member()
        r = self.post_txn(dict(body, member_id=other_member))
        assert_problem(self, r, 409, "idempotency-conflict", field="txn_id")
        self.assertEqual(self.points(other_member)["available"], 0)
        self.assertEqual(len(self.ledger(mid)), len(led) + 1)
        self.assertEqual(self.points(mid)["available"], 44)
        # The key is per store: the same txn_id at another store is another purchase.
        r = self.post_txn(dict(body, store="S2"))
        self.assertEqual(r.status, 201, r)
        self.assertIsNone(r.headers.get("Idempotent-Replayed"))
        self.assertNotEqual(r.body["id"], first.body["id"])
        self.assertEqual(self.points(mid)["available"], 78)
        self.assert_ledger_agrees(mid)

    def test_a_refused_purchase_is_not_remembered(self):
        body = self.txn(member_external_ref="LATE-%d" % uniq(), amount=50000)
        assert_problem(self, self.post_txn(body), 404, "not-found", field="member_external_ref")
        mid = self.member(external_ref=body["member_external_ref"])
        r = self.post_txn(body)
        self.assertEqual(r.status, 201, r)
        self.assertIsNone(r.headers.get("Idempotent-Replayed"))
        self.assertEqual((r.body["member_id"], r.body["points_earned"]), (mid, 5))

    # ----- naming the member

    def test_member_by_external_ref_and_by_phone_in_persian_digits(self):
        phone = unique_phone()
        ref = "REF-%d" % uniq()
        mid = self.member(external_ref=ref, phone=phone)
        a = self.post_txn(self.txn(member_external_ref=ref, amount=20000))
        self.assertEqual(a.status, 201, a)
        self.assertEqual((a.body["member_id"], a.body["points_earned"]), (mid, 2))
        local = ("0" + phone[3:]).translate(PERSIAN_DIGITS)  # +98912... -> ۰۹۱۲...
        b = self.post_txn(self.txn(member_phone=local, amount=30000))
        self.assertEqual(b.status, 201, b)
        self.assertEqual((b.body["member_id"], b.body["points_earned"]), (mid, 3))
        self.assertEqual(b.body["balance"]["available"], 5)
        self.assertEqual(self.points(mid)["available"], 5)
        assert_problem(self, self.post_txn(self.txn(member_phone=unique_phone(), amount=1)), 404, "not-found",
                       field="member_phone")
        assert_problem(self, self.post_txn(self.txn(member_external_ref="NOPE-%d" % uniq(), amount=1)), 404,
                       "not-found", field="member_external_ref")
        assert_problem(self, self.post_txn(self.txn(member_id=987654321, amount=1)), 404, "not-found",
                       field="member_id")

    def test_validation_errors_name_the_fields_and_change_nothing(self):
        mid = self.member()
        phone = unique_phone()
        cases = [
            ({k: v for k, v in self.txn(member_id=mid, amount=100).items() if k != "store"}, "store"),
            ({k: v for k, v in self.txn(member_id=mid, amount=100).items() if k != "txn_id"}, "txn_id"),
            ({k: v for k, v in self.txn(member_id=mid, amount=100).items() if k != "amount"}, "amount"),
            (self.txn(member_id=mid, amount=-1), "amount"),
            (self.txn(member_id=mid, amount=1.5), "amount"),
            (self.txn(member_id=mid, amount="100"), "amount"),
            (self.txn(member_id=mid, amount=100, occurred_at="yesterday"), "occurred_at"),
            (self.txn(member_id=mid, amount=100, occurred_at="2026-02-30T10:00:00Z"), "occurred_at"),
            (self.txn(member_id=mid, amount=100, occurred_at="2026-03-05T00:00:00Z"), "occurred_at"),  # future
            (self.txn(member_id=mid, amount=100, colour="red"), "colour"),
            (self.txn(member_id=mid, member_phone=phone, amount=100), ("member_id", "member_phone")),
            (self.txn(amount=100), ("member_id", "member_phone", "member_external_ref")),
            (self.txn(member_id=mid, amount=100, type="refund"), "type"),
            (self.txn(member_id=mid, amount=100, original_txn_id="X"), "original_txn_id"),
            (self.txn(member_id=mid, amount=100, store=""), "store"),
            (self.txn(member_id=mid, amount=100, items=[{"sku": "A", "amount": -5}]), "items[0].amount"),
            (self.txn(member_id=mid, amount=100, items=[{"sku": "A", "amount": 5, "size": 2}]), "items[0].size"),
            (self.txn(member_id=mid, amount=100, items={"sku": "A"}), "items"),
            (self.txn(type="return", member_id=mid, amount=100), "original_txn_id"),
            (self.txn(type="return", member_id=mid, amount=0, original_txn_id="X"), "amount"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                assert_problem(self, self.post_txn(body), 400, "validation", field=field)
        self.assertEqual(self.ledger(mid), [])
        m = self.get_member(mid)
        self.assertEqual(m["aggregates"]["purchase_count"], 0)
        self.assertEqual(m["points"], {"available": 0, "pending": 0, "lifetime": 0})
        r = self.owner.post(TXNS, raw="{not json")
        self.assertEqual(r.status, 400, r)

    # ----- returns

    def test_partial_returns_add_up_exactly_to_the_original_points(self):
        mid = self.member()
        a = self.buy(mid, 100000)
        self.assertEqual(a["points_earned"], 10)
        # A third of the amount: 10 * 33333 / 100000 = 3.33..., floor 3 (never more than the proportion).
        r1 = self.returned(mid, a["txn_id"], 33333)
        self.assertEqual((r1["type"], r1["points_reversed"], r1["points_earned"]), ("return", 3, -3))
        self.assertEqual(r1["balance"]["available"], 7)
        r2 = self.returned(mid, a["txn_id"], 33333)
        self.assertEqual(r2["points_reversed"], 3)  # 6.66... in all: 6
        g = self.owner.get("%s/%d" % (TXNS, a["id"])).body
        self.assertEqual((g["points_reversed"], g["amount_returned"]), (6, 66666))
        # More than what is left of the purchase: 409, nothing changes.
        r = self.ret(mid, a["txn_id"], 33335)
        assert_problem(self, r, 409, "conflict", field="amount")
        self.assertEqual(self.points(mid)["available"], 4)
        # The last part completes it exactly: the 4 left, not round(3.33).
        r3 = self.returned(mid, a["txn_id"], 33334)
        self.assertEqual(r3["points_reversed"], 4)
        self.assertEqual(r3["balance"]["available"], 0)
        g = self.owner.get("%s/%d" % (TXNS, a["id"])).body
        self.assertEqual((g["points_reversed"], g["amount_returned"]), (10, 100000))
        assert_problem(self, self.ret(mid, a["txn_id"], 1), 409, "conflict", field="amount")
        m = self.get_member(mid)
        self.assertEqual(m["points"], {"available": 0, "pending": 0, "lifetime": 0})
        self.assertEqual((m["aggregates"]["purchase_count"], m["aggregates"]["total_spent"]), (1, 0))
        led = self.ledger(mid)
        self.assertEqual([(p["kind"], p["points"]) for p in led], [("return", -4), ("return", -3), ("return", -3),
                                                                   ("earn", 10)])
        self.assertTrue(all(p["to"] == "club:issued" for p in led if p["kind"] == "return"))

    def test_rounding_never_over_reverses(self):
        mid = self.member()
        a = self.buy(mid, 99999)  # 9 points
        total = 0
        returned = 0
        for part in (11111, 11111, 11111, 22222, 11111, 33333):
            r = self.returned(mid, a["txn_id"], part)
            returned += part
            total += r["points_reversed"]
            self.assertLessEqual(total * 99999, 9 * returned, "reversed more than the proportion")
            self.assertGreater((total + 1) * 99999, 9 * returned, "reversed less than floor of the proportion")
        self.assertEqual((returned, total), (99999, 9))
        self.assertEqual(self.points(mid), {"available": 0, "pending": 0, "lifetime": 0})

    def test_return_replay_and_conflict(self):
        mid = self.member()
        a = self.buy(mid, 200000)
        body = self.txn(type="return", member_id=mid, amount=50000, original_txn_id=a["txn_id"])
        first = self.post_txn(body)
        self.assertEqual(first.status, 201, first)
        again = self.post_txn(body)
        self.assertEqual((again.status, again.headers.get("Idempotent-Replayed")), (201, "true"), again)
        self.assertEqual(again.body, first.body)
        self.assertEqual(self.points(mid)["available"], 15)
        assert_problem(self, self.post_txn(dict(body, amount=50001)), 409, "idempotency-conflict", field="txn_id")
        # A return names a purchase of the member at the store.
        other = self.member()
        assert_problem(self, self.ret(other, a["txn_id"], 1), 404, "not-found", field="original_txn_id")
        assert_problem(self, self.ret(mid, a["txn_id"], 1, store="S2"), 404, "not-found", field="original_txn_id")
        assert_problem(self, self.ret(mid, first.body["txn_id"], 1), 404, "not-found", field="original_txn_id")
        self.assertEqual(self.owner.get("%s/%d" % (TXNS, a["id"])).body["amount_returned"], 50000)
        self.assert_ledger_agrees(mid)

    def test_return_after_spending_goes_negative_and_is_repaid_first(self):
        self.assertEqual(self.owner.get(PROGRAMME).body["return_policy"], "negative")
        mid = self.member()
        a = self.buy(mid, 100000)  # 10
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": -8, "reason": "spent at the till"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["balance"]["available"], 2)
        ret = self.returned(mid, a["txn_id"], 100000)
        self.assertEqual(ret["points_reversed"], 10)
        self.assertEqual(ret["balance"]["available"], -8)
        self.assertEqual(self.points(mid), {"available": -8, "pending": 0, "lifetime": 0})
        # Owing, the member cannot spend or give away.
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": -1, "reason": "x"})
        assert_problem(self, r, 409, "insufficient-points", field="points")
        # The next purchase repays the debt first.
        b = self.buy(mid, 150000)
        self.assertEqual(b["points_earned"], 15)
        self.assertEqual(b["balance"]["available"], 7)
        c = self.buy(mid, 30000)
        self.assertEqual(c["balance"]["available"], 10)
        self.assertEqual(self.points(mid), {"available": 10, "pending": 0, "lifetime": 18})
        self.assert_ledger_agrees(mid)
        self.verify_clean()

    # ----- programme settings

    def test_programme_patch_validation(self):
        before = self.owner.get(PROGRAMME)
        self.assertEqual(before.status, 200, before)
        cases = [
            ({"pending_days": -1}, "pending_days"),
            ({"pending_days": 366}, "pending_days"),
            ({"pending_days": "3"}, "pending_days"),
            ({"expiry_policy": "weekly"}, "expiry_policy"),
            ({"expiry_days": 0}, "expiry_days"),
            ({"expiry_warning_days": -2}, "expiry_warning_days"),
            ({"return_policy": "refund"}, "return_policy"),
            ({"transfers_allowed": "yes"}, "transfers_allowed"),
            ({"currency": "rial"}, "currency"),
            ({"currency_minor_units": 9}, "currency_minor_units"),
            ({"point_value_minor": -1}, "point_value_minor"),
            ({"time_zone": "Mars/Olympus"}, "time_zone"),
            ({"calendar": "julian"}, "calendar"),
            ({"points_name": {"en": ""}}, "points_name.en"),
            ({"updated_at": "2026-01-01T00:00:00Z"}, "updated_at"),
            ({"colour": "red"}, "colour"),
            ({"pending_days": 3, "return_policy": "both"}, "return_policy"),  # one bad field spoils the lot
        ]
        for body, field in cases:
            with self.subTest(body=body):
                assert_problem(self, self.owner.patch(PROGRAMME, body), 400, "validation", field=field)
        self.assertEqual(self.owner.get(PROGRAMME).body, before.body)
        # Roles: a cashier reads but cannot change the programme.
        cashier = self.server.client(self.server.apikey("cashier"))
        self.assertEqual(cashier.get(PROGRAMME).status, 200)
        assert_problem(self, cashier.patch(PROGRAMME, {"points_name": {"en": "stars"}}), 403)
        # A good patch merges and is kept.
        r = self.owner.patch(PROGRAMME, {"points_name": {"en": "stars", "fa": "ستاره"}, "point_value_minor": 500})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["points_name"], {"en": "stars", "fa": "ستاره"})
        self.assertEqual(r.body["point_value_minor"], 500)
        self.assertEqual(r.body["return_policy"], before.body["return_policy"])
        self.assertIsNotNone(r.body["updated_at"])
        self.assertEqual(self.owner.get(PROGRAMME).body, r.body)

    # ----- adjustments and transfers

    def test_adjustments(self):
        mid = self.member()
        adj = "%s/%d/adjustments" % (MEMBERS, mid)
        r = self.owner.post(adj, {"points": 50, "reason": "goodwill"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.body["points"], r.body["reason"]), (50, "goodwill"))
        self.assertEqual(r.body["balance"]["available"], 50)
        self.assertEqual(r.body["balance"]["lifetime"], 0)  # adjustments are not earnings
        assert_problem(self, self.owner.post(adj, {"points": -51, "reason": "too much"}), 409, "insufficient-points",
                       field="points")
        assert_problem(self, self.owner.post(adj, {"points": 5}), 400, "validation", field="reason")
        assert_problem(self, self.owner.post(adj, {"points": 5, "reason": ""}), 400, "validation", field="reason")
        assert_problem(self, self.owner.post(adj, {"points": 0, "reason": "x"}), 400, "validation", field="points")
        assert_problem(self, self.owner.post(adj, {"points": 2.5, "reason": "x"}), 400, "validation", field="points")
        assert_problem(self, self.owner.post(adj, {"points": 1, "reason": "x", "by": "me"}), 400, "validation",
                       field="by")
        assert_problem(self, self.owner.post("%s/987654321/adjustments" % MEMBERS, {"points": 1, "reason": "x"}), 404)
        self.assertEqual(self.points(mid)["available"], 50)
        r = self.owner.post(adj, {"points": -20, "reason": "correction"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["balance"]["available"], 30)
        led = self.ledger(mid)
        self.assertEqual([(p["kind"], p["points"]) for p in led], [("adjust", -20), ("adjust", 50)])
        self.assertEqual(led[0]["to"], "club:adjustment")
        self.assertEqual(led[1]["from"], "club:adjustment")
        self.assertIn("correction", json.dumps(led[0]["explanation"], ensure_ascii=False))
        # A cashier may record purchases but not adjust.
        cashier = self.server.client(self.server.apikey("cashier"))
        assert_problem(self, cashier.post(adj, {"points": 5, "reason": "x"}), 403)
        self.assertEqual(self.points(mid), {"available": 30, "pending": 0, "lifetime": 0})

    def test_transfers_only_when_the_programme_allows(self):
        a, b = self.member(), self.member()
        self.buy(a, 500000)  # 50
        body = {"from_member_id": a, "to_member_id": b, "points": 30, "reason": "family"}
        self.assertFalse(self.owner.get(PROGRAMME).body["transfers_allowed"])
        assert_problem(self, self.owner.post(TRANSFERS, body), 409, "conflict")
        self.assertEqual((self.points(a)["available"], self.points(b)["available"]), (50, 0))
        self.patch_programme({"transfers_allowed": True})
        try:
            r = self.owner.post(TRANSFERS, body)
            self.assertEqual(r.status, 201, r)
            self.assertEqual((r.body["from_member_id"], r.body["to_member_id"], r.body["points"]), (a, b, 30))
            self.assertEqual(self.points(a), {"available": 20, "pending": 0, "lifetime": 50})
            self.assertEqual(self.points(b), {"available": 30, "pending": 0, "lifetime": 0})
            assert_problem(self, self.owner.post(TRANSFERS, dict(body, points=21)), 409, "insufficient-points",
                           field="points")
            assert_problem(self, self.owner.post(TRANSFERS, dict(body, to_member_id=a)), 400, "validation",
                           field="to_member_id")
            assert_problem(self, self.owner.post(TRANSFERS, dict(body, points=-1)), 400, "validation", field="points")
            assert_problem(self, self.owner.post(TRANSFERS, {k: v for k, v in body.items() if k != "reason"}), 400,
                           "validation", field="reason")
            assert_problem(self, self.owner.post(TRANSFERS, dict(body, to_member_id=987654321)), 404,
                           field="to_member_id")
            self.assertEqual([(p["kind"], p["points"]) for p in self.ledger(b)], [("transfer", 30)])
            self.assertEqual([(p["kind"], p["points"]) for p in self.ledger(a)], [("transfer", -30), ("earn", 50)])
            # What b received can be spent.
            r = self.owner.post("%s/%d/adjustments" % (MEMBERS, b), {"points": -30, "reason": "used"})
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.body["balance"]["available"], 0)
            self.assert_ledger_agrees(a)
            self.assert_ledger_agrees(b)
        finally:
            self.patch_programme({"transfers_allowed": False})
        assert_problem(self, self.owner.post(TRANSFERS, dict(body, points=1)), 409, "conflict")

    # ----- earning events

    def test_joined_event_earns_once_per_event_id(self):
        mid = self.member()
        body = {"type": "joined", "member_id": mid, "event_id": "join-%d" % mid}
        first = self.owner.post(EVENTS, body)
        self.assertEqual(first.status, 201, first)
        self.assertEqual(first.body["points_earned"], 100)
        self.assertEqual(first.body["explanation"],
                         [{"rule_id": self.welcome["id"], "rule": self.welcome["name"], "points": 100}])
        self.assertEqual(first.body["balance"]["available"], 100)
        again = self.owner.post(EVENTS, body)
        self.assertEqual((again.status, again.headers.get("Idempotent-Replayed")), (201, "true"), again)
        self.assertEqual(again.body, first.body)
        assert_problem(self, self.owner.post(EVENTS, dict(body, type="profile_completed")), 409,
                       "idempotency-conflict", field="event_id")
        self.assertEqual(self.points(mid), {"available": 100, "pending": 0, "lifetime": 100})
        self.assertEqual([(p["kind"], p["points"]) for p in self.ledger(mid)], [("earn", 100)])
        # An event no rule pays for is recorded and earns nothing.
        r = self.owner.post(EVENTS, {"type": "survey_answered", "member_id": mid, "event_id": "s-%d" % mid})
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.body["points_earned"], r.body["explanation"]), (0, []))
        assert_problem(self, self.owner.post(EVENTS, {"type": "custom", "member_id": mid, "event_id": "c"}), 400,
                       "validation", field="name")
        assert_problem(self, self.owner.post(EVENTS, {"type": "birthday", "member_id": mid, "event_id": "b"}), 400,
                       "validation", field="type")
        self.assertEqual(self.points(mid)["available"], 100)

    # ----- the member record

    def test_member_shows_points_and_aggregates(self):
        mid = self.member()
        m = self.get_member(mid)
        self.assertEqual(m["points"], {"available": 0, "pending": 0, "lifetime": 0})
        self.assertEqual(m["aggregates"], {"purchase_count": 0, "total_spent": 0, "last_purchase_at": None})
        a = self.buy(mid, 300000, occurred_at="2026-02-25T10:00:00+03:30")
        self.buy(mid, 150000, occurred_at="2026-02-20T10:00:00Z")  # older, recorded later
        self.returned(mid, a["txn_id"], 100000, occurred_at="2026-02-28T12:00:00Z")
        m = self.get_member(mid)
        self.assertEqual(m["aggregates"], {"purchase_count": 2, "total_spent": 350000,
                                           "last_purchase_at": "2026-02-25T06:30:00.000Z"})
        # 30 + 15 - floor(30 * 100000 / 300000) = 35
        self.assertEqual(m["points"], {"available": 35, "pending": 0, "lifetime": 35})
        led = self.owner.get("%s/%d/ledger" % (MEMBERS, mid)).body
        self.assertEqual(led["balance"], m["points"])
        self.assert_ledger_agrees(mid)

    def test_erased_member_cannot_buy_and_the_ledger_still_verifies(self):
        mid = self.member(phone=unique_phone())
        a = self.buy(mid, 250000)
        r = self.owner.delete("%s/%d" % (MEMBERS, mid))
        self.assertIn(r.status, (200, 204), r)
        assert_problem(self, self.post_txn(self.txn(member_id=mid, amount=10000)), 409, "conflict", field="member_id")
        assert_problem(self, self.ret(mid, a["txn_id"], 10000), 409, "conflict", field="member_id")
        # The replay of what was recorded before the erasure still answers as the first time.
        again = self.post_txn(self.txn(member_id=mid, amount=250000, txn_id=a["txn_id"]))
        self.assertEqual((again.status, again.headers.get("Idempotent-Replayed")), (201, "true"), again)
        self.assertEqual(again.body, a)
        self.verify_clean()

    # ----- roles

    def test_roles(self):
        mid = self.member()
        analyst = self.server.client(self.server.apikey("analyst"))
        body = self.txn(member_id=mid, amount=100000)
        assert_problem(self, self.post_txn(body, client=analyst), 403)
        assert_problem(self, analyst.post(EVENTS, {"type": "joined", "member_id": mid, "event_id": "a"}), 403)
        assert_problem(self, analyst.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": 1, "reason": "x"}), 403)
        self.assertEqual(self.points(mid)["available"], 0)
        self.assertEqual(self.ledger(mid), [])
        cashier = self.server.client(self.server.apikey("cashier"))
        r = self.post_txn(body, client=cashier)
        self.assertEqual(r.status, 201, r)
        # The analyst reads what the cashier recorded.
        g = analyst.get("%s/%d" % (TXNS, r.body["id"]))
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.body["points_earned"], 10)
        self.assertEqual(analyst.get("%s/%d/ledger" % (MEMBERS, mid)).status, 200)
        self.assertEqual(analyst.get(PROGRAMME).status, 200)
        anon = self.server.client()
        self.assertEqual(anon.post(TXNS, body).status, 401)


class RemainingPolicyTest(ClassServer):
    """return_policy "remaining": a return takes back only what the member still has."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base_rule()
        cls.patch_programme({"return_policy": "remaining"})

    def test_return_after_spending_reverses_only_what_is_left(self):
        mid = self.member()
        a = self.buy(mid, 100000)  # 10
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": -8, "reason": "spent"})
        self.assertEqual(r.status, 201, r)
        ret = self.returned(mid, a["txn_id"], 100000)
        self.assertEqual(ret["points_reversed"], 2)
        self.assertEqual(ret["balance"]["available"], 0)
        self.assertEqual(self.points(mid), {"available": 0, "pending": 0, "lifetime": 8})
        b = self.buy(mid, 150000)
        self.assertEqual(b["balance"]["available"], 15)  # nothing owed
        self.assertEqual(self.points(mid)["available"], 15)
        led = self.ledger(mid)
        self.assertEqual([(p["kind"], p["points"]) for p in led], [("earn", 15), ("return", -2), ("adjust", -8),
                                                                   ("earn", 10)])
        self.assert_ledger_agrees(mid)

    def test_partial_return_with_points_intact(self):
        mid = self.member()
        a = self.buy(mid, 100000)
        ret = self.returned(mid, a["txn_id"], 50000)
        self.assertEqual(ret["points_reversed"], 5)
        self.assertEqual(self.points(mid)["available"], 5)
        self.assert_ledger_agrees(mid)


class PendingTest(ClassServer):
    """pending_days: earned points wait, then the minute job makes them available on the server's clock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base_rule()
        cls.patch_programme({"pending_days": 7})

    def test_points_are_pending_until_the_clock_passes_the_date(self):
        mid = self.member()
        start = self.server.clock_now
        a = self.buy(mid, 200000)  # 20
        self.assertEqual(a["balance"], {"available": 0, "pending": 20, "lifetime": 20})
        self.assertEqual(self.points(mid), {"available": 0, "pending": 20, "lifetime": 20})
        # Pending points cannot be spent.
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": -1, "reason": "too early"})
        assert_problem(self, r, 409, "insufficient-points")
        # An adjustment is available at once.
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": 5, "reason": "welcome"})
        self.assertEqual(r.body["balance"], {"available": 5, "pending": 20, "lifetime": 20})
        # A day before: still pending, however many ticks pass.
        self.server.set_clock(start + 6 * DAY_MS)
        time.sleep(0.6)
        self.assertEqual(self.points(mid), {"available": 5, "pending": 20, "lifetime": 20})
        self.server.set_clock(start + 7 * DAY_MS + 60000)
        self.wait_points(mid, {"available": 25, "pending": 0})
        self.assertEqual(self.points(mid)["lifetime"], 20)
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": -25, "reason": "spent"})
        self.assertEqual(r.status, 201, r)
        self.assert_ledger_agrees(mid)
        self.verify_clean()

    def test_return_of_a_pending_purchase_takes_the_pending_points(self):
        mid = self.member()
        a = self.buy(mid, 300000)
        self.assertEqual(self.points(mid)["pending"], 30)
        ret = self.returned(mid, a["txn_id"], 100000)
        self.assertEqual(ret["points_reversed"], 10)
        self.assertEqual(self.points(mid), {"available": 0, "pending": 20, "lifetime": 20})
        self.assert_ledger_agrees(mid)

    def test_debt_is_repaid_when_pending_points_mature(self):
        mid = self.member()
        a = self.buy(mid, 100000, store="S5")  # 10 pending
        self.server.advance(7 * DAY_MS + 60000)
        self.wait_points(mid, {"available": 10, "pending": 0})
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": -10, "reason": "spent"})
        self.assertEqual(r.status, 201, r)
        # Spent, then returned: the member owes the 10 ("negative" policy).
        ret = self.returned(mid, a["txn_id"], 100000, store="S5")
        self.assertEqual(ret["points_reversed"], 10)
        self.assertEqual(self.points(mid), {"available": -10, "pending": 0, "lifetime": 0})
        # New points wait as pending; the debt is repaid when they become available.
        b = self.buy(mid, 300000, store="S5")
        self.assertEqual(b["balance"], {"available": -10, "pending": 30, "lifetime": 30})
        self.server.advance(7 * DAY_MS + 60000)
        self.wait_points(mid, {"available": 20, "pending": 0})
        self.assert_ledger_agrees(mid)
        self.verify_clean()


class ExpiryTest(ClassServer):
    """expiry_policy "days": lots expire after expiry_days, with a warning notice before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base_rule()
        cls.patch_programme({"expiry_policy": "days", "expiry_days": 30, "expiry_warning_days": 7})

    def test_points_expire_after_the_days_with_a_warning_first(self):
        mid, other = self.member(), self.member()
        start = self.server.clock_now
        a = self.buy(mid, 100000)  # 10, expiring at start + 30 days
        self.server.set_clock(start + 10 * DAY_MS)
        self.buy(mid, 50000)  # 5, expiring at start + 40 days
        self.buy(other, 70000)  # 7, expiring at start + 40 days
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": -3, "reason": "spent"})
        self.assertEqual(r.status, 201, r)  # taken from the lot that expires first
        self.assertEqual(self.points(mid)["available"], 12)
        warned = "SELECT data FROM notices WHERE member_id = ? AND kind = 'points_expiring'"
        time.sleep(0.3)
        self.assertEqual(self.db(warned, mid), [])  # 20 days left: not yet
        # Within 7 days of the expiry: a warning for the first lot only, points still there.
        self.server.set_clock(start + 24 * DAY_MS)
        deadline = time.monotonic() + 5
        while not self.db(warned, mid) and time.monotonic() < deadline:
            time.sleep(0.05)
        rows = self.db(warned, mid)
        self.assertEqual(len(rows), 1, rows)
        data = json.loads(rows[0][0])
        self.assertEqual(data["points"], 7)
        self.assertEqual(data["expires_at_ms"], start + 30 * DAY_MS)
        self.assertEqual(self.points(mid)["available"], 12)
        self.assertEqual(self.db(warned, other), [])
        # Past the expiry: the rest of the first lot expires; the second stays.
        self.server.set_clock(start + 31 * DAY_MS)
        self.wait_points(mid, {"available": 5, "pending": 0})
        self.assertEqual(self.points(mid)["lifetime"], 15)
        led = self.ledger(mid)
        self.assertEqual((led[0]["kind"], led[0]["points"], led[0]["to"]), ("expire", -7, "club:expired"))
        self.assertEqual(len([p for p in led if p["kind"] == "expire"]), 1)
        self.assertEqual(len(self.db(warned, mid)), 1)  # one warning per lot, not one per tick
        self.assertEqual(self.points(other)["available"], 7)
        self.assertEqual(a["points_earned"], 10)
        self.server.set_clock(start + 41 * DAY_MS)
        self.wait_points(mid, {"available": 0})
        self.wait_points(other, {"available": 0})
        self.assertEqual([p["kind"] for p in self.ledger(other)], ["expire", "earn"])
        # The first answer is kept with the purchase: a replay 41 days later still answers it.
        again = self.post_txn(self.txn(member_id=mid, amount=100000, txn_id=a["txn_id"]))
        self.assertEqual((again.status, again.headers.get("Idempotent-Replayed")), (201, "true"), again)
        self.assertEqual(again.body, a)
        self.assert_ledger_agrees(mid)
        self.assert_ledger_agrees(other)
        self.verify_clean()

class ManyLotsTest(ClassServer):
    """More lots come due at one step of the clock than one run of a job handles: the rest must follow at once,
    not a clock minute later (the clock of a quiet test server may never move again; a busy club's real clock
    would fall behind forever)."""

    LOTS = 300

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base_rule()
        cls.patch_programme({"pending_days": 1, "expiry_policy": "days", "expiry_days": 5,
                             "expiry_warning_days": 0})

    def many_purchases(self, mid):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            for i in range(self.LOTS):
                body = json.dumps(self.txn(member_id=mid, amount=10000))
                conn.request("POST", TXNS, body, {"Authorization": "Bearer " + self.owner_key,
                                                  "Content-Type": "application/json"})
                resp = conn.getresponse()
                raw = resp.read()
                self.assertEqual(resp.status, 201, raw)
        finally:
            conn.close()
        self.assertEqual(self.points(mid), {"available": 0, "pending": self.LOTS, "lifetime": self.LOTS})

    def test_a_many_pending_lots_mature_in_one_step_of_the_clock(self):
        mid = self.member()
        self.many_purchases(mid)
        self.server.advance(DAY_MS + 60000)
        self.wait_points(mid, {"available": self.LOTS, "pending": 0})
        self.assert_ledger_agrees(mid)

    def test_b_many_lots_expire_in_one_step_of_the_clock(self):
        mid = self.member()
        self.many_purchases(mid)
        self.server.advance(5 * DAY_MS + 60000)
        self.wait_points(mid, {"available": 0, "pending": 0, "lifetime": self.LOTS})
        expired = [p for p in self.ledger(mid, limit=500) if p["kind"] == "expire"]
        self.assertEqual(sum(p["points"] for p in expired), -self.LOTS)
        self.assert_ledger_agrees(mid)


class CapsTest(ClassServer):
    """Per-member caps count what a rule gave the member's purchases from their explanations (no row of their own),
    so a cap set on a rule later still counts the purchases of its period, and other members' never."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = cls.base_rule()

    def test_a_cap_added_later_counts_the_purchases_already_in_its_period(self):
        mid, other = self.member(), self.member()
        self.assertEqual(self.buy(mid, 300000)["points_earned"], 30)
        self.assertEqual(self.buy(mid, 200000)["points_earned"], 20)
        self.assertEqual(self.buy(other, 400000)["points_earned"], 40)
        self.assertEqual(self.db("SELECT count(*) FROM rule_grants")[0][0], 0)  # purchases keep no grant rows
        r = self.owner.patch("%s/%d" % (RULES, self.base["id"]),
                             {"definition": {"kind": "per_amount", "points": 1, "per_amount_minor": 10000,
                                             "rounding": "floor", "cap": {"period": "day", "points": 60}}})
        self.assertEqual(r.status, 200, r)
        # 50 given today already: 10 left of 60, whatever this purchase would give.
        a = self.buy(mid, 250000)
        self.assertEqual(a["points_earned"], 10, a)
        self.assertTrue(a["explanation"][0]["rule"].endswith("(capped)"), a)
        self.assertEqual(self.buy(mid, 100000)["points_earned"], 0)
        # The other member's 40 count for them alone: 20 left.
        self.assertEqual(self.buy(other, 500000)["points_earned"], 20)
        # The next day the cap starts again.
        self.server.set_clock(T0 + DAY_MS)
        self.assertEqual(self.buy(mid, 500000)["points_earned"], 50)
        self.assertEqual(self.points(mid)["lifetime"], 110)
        self.assert_ledger_agrees(mid)


if __name__ == "__main__":
    harness.main()
