"""API tests for tiers: the catalogue (create, get, patch, list in rank order, validation, audit, roles), and members'
tiers on a server with a settable clock: the entry tier, an upgrade at once after a purchase (tier_changes row and
a tier_changed notice), progress to the next tier in the member record, a grace period after the qualification
lapses, the downgrade by the review job once the review date has passed, requalifying during the grace period,
returns counting against spend, points-based tiers (adjustments do not qualify) and the earning multiplier."""

import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, RFC3339_MS, assert_problem, uniq  # noqa: E402

TIERS = API + "/tiers"
MEMBERS = API + "/members"
DAY_MS = 86400 * 1000
T0 = 1772323200000  # 2026-03-01T00:00:00Z


def rfc3339(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


class TierCatalogTest(harness.ServerCase):

    def create(self, **fields):
        body = {"name_en": "Tier %d" % uniq(), "name_fa": "سطح", "rank": 100 + uniq()}
        body.update(fields)
        r = self.owner.post(TIERS, body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def audit_actions(self, target_id):
        r = self.owner.get(API + "/audit?limit=500")
        return [a["action"] for a in r.body["items"] if a["target"] == {"type": "tier", "id": target_id}]

    def test_create_round_trips_and_defaults(self):
        body = {"name_en": "Gold", "name_fa": "طلایی", "rank": 2, "basis": "spend", "threshold": 50000000,
                "window_days": 180, "grace_days": 14, "multiplier_permille": 1500,
                "benefits_en": "Free delivery\nBirthday gift", "benefits_fa": "ارسال رایگان"}
        r = self.owner.post(TIERS, body)
        self.assertEqual(r.status, 201, r)
        t = r.body
        self.assertTrue(r.headers.get("Location").endswith("%s/%d" % (TIERS, t["id"])))
        for k, v in body.items():
            self.assertEqual(t[k], v, k)
        self.assertRegex(t["created_at"], RFC3339_MS)
        self.assertEqual(self.owner.get("%s/%d" % (TIERS, t["id"])).body, t)
        d = self.create(rank=3)
        self.assertEqual((d["basis"], d["threshold"], d["window_days"], d["grace_days"], d["multiplier_permille"]),
                         ("points", 0, 365, 30, 1000))
        self.assertIsNone(d["benefits_en"])
        self.assertEqual(self.audit_actions(t["id"]), ["tier.create"])

    def test_list_is_in_rank_order(self):
        made = [self.create(rank=r)["id"] for r in (57, 55, 56)]
        r = self.owner.get(TIERS)
        self.assertEqual(r.status, 200, r)
        ranks = [t["rank"] for t in r.body["items"]]
        self.assertEqual(ranks, sorted(ranks))
        ids = [t["id"] for t in r.body["items"]]
        self.assertEqual([i for i in ids if i in made], [made[1], made[2], made[0]])
        self.assertIsNone(r.body["next_cursor"])

    def test_validation_names_each_field(self):
        for body, field in [
            ({"name_fa": "x", "rank": 40}, "name_en"),
            ({"name_en": "x", "rank": 40}, "name_fa"),
            ({"name_en": "x", "name_fa": "x"}, "rank"),
            ({"name_en": "x", "name_fa": "x", "rank": -1}, "rank"),
            ({"name_en": "x", "name_fa": "x", "rank": 40, "basis": "visits"}, "basis"),
            ({"name_en": "x", "name_fa": "x", "rank": 40, "threshold": -5}, "threshold"),
            ({"name_en": "x", "name_fa": "x", "rank": 40, "window_days": 0}, "window_days"),
            ({"name_en": "x", "name_fa": "x", "rank": 40, "grace_days": 1.5}, "grace_days"),
            ({"name_en": "x", "name_fa": "x", "rank": 40, "multiplier_permille": 10 ** 9}, "multiplier_permille"),
            ({"name_en": "x", "name_fa": "x", "rank": 40, "benefits_en": 7}, "benefits_en"),
            ({"name_en": "x", "name_fa": "x", "rank": 40, "colour": "gold"}, "colour"),
            ({"name_en": "x", "name_fa": "x", "rank": 0, "threshold": 10}, "threshold"),
        ]:
            with self.subTest(body=body):
                assert_problem(self, self.owner.post(TIERS, body), 400, "validation", field=field)

    def test_rank_is_unique(self):
        t = self.create(rank=70)
        assert_problem(self, self.owner.post(TIERS, {"name_en": "x", "name_fa": "x", "rank": 70}), 409, "conflict",
                       field="rank")
        other = self.create(rank=71)
        assert_problem(self, self.owner.patch("%s/%d" % (TIERS, other["id"]), {"rank": 70}), 409, "conflict",
                       field="rank")
        self.assertEqual(self.owner.get("%s/%d" % (TIERS, t["id"])).body["rank"], 70)

    def test_patch_merges_and_audits(self):
        t = self.create(rank=80, benefits_en="old", threshold=100)
        r = self.owner.patch("%s/%d" % (TIERS, t["id"]), {"threshold": 200, "benefits_en": None, "basis": "spend"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["threshold"], r.body["basis"], r.body["name_en"]), (200, "spend", t["name_en"]))
        self.assertIsNone(r.body["benefits_en"])
        self.assertEqual(self.owner.get("%s/%d" % (TIERS, t["id"])).body, r.body)
        self.assertEqual(self.audit_actions(t["id"]), ["tier.create", "tier.update"])
        assert_problem(self, self.owner.patch("%s/%d" % (TIERS, t["id"]), {"window_days": -1}), 400, "validation",
                       field="window_days")
        assert_problem(self, self.owner.patch("%s/999999" % TIERS, {"threshold": 1}), 404, "not-found")
        assert_problem(self, self.owner.get("%s/999999" % TIERS), 404, "not-found")

    def test_entry_tier_keeps_threshold_zero_on_patch(self):
        t = self.owner.post(TIERS, {"name_en": "Entry", "name_fa": "پایه", "rank": 0})
        self.assertEqual(t.status, 201, t)
        assert_problem(self, self.owner.patch("%s/%d" % (TIERS, t.body["id"]), {"threshold": 5}), 400, "validation",
                       field="threshold")

    def test_analyst_reads_but_does_not_write(self):
        analyst = self.server.client(self.server.apikey("analyst"))
        self.assertEqual(analyst.get(TIERS).status, 200)
        assert_problem(self, analyst.post(TIERS, {"name_en": "x", "name_fa": "x", "rank": 90}), 403)


class SpendTiersTest(harness.ServerCase):
    """Entry (rank 0), Silver (spend >= 1,000,000 in 30 days, 10 grace days), Gold (spend >= 5,000,000)."""

    server_kwargs = {"clock_ms": T0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tiers = {}
        for name, rank, threshold in (("Entry", 0, 0), ("Silver", 1, 1000000), ("Gold", 2, 5000000)):
            r = cls.owner.post(TIERS, {"name_en": name, "name_fa": name, "rank": rank, "basis": "spend",
                                       "threshold": threshold, "window_days": 30, "grace_days": 10})
            assert r.status == 201, r
            cls.tiers[name] = r.body["id"]

    def member(self):
        r = self.owner.post(MEMBERS, {"given_name": "Tiered%d" % uniq()})
        self.assertEqual(r.status, 201, r)
        return r.body["id"]

    def buy(self, mid, amount, type_="purchase", original=None):
        body = {"type": type_, "member_id": mid, "store": "S1", "txn_id": "T%d" % uniq(), "amount": amount}
        if original:
            body["original_txn_id"] = original
        r = self.owner.post(API + "/transactions", body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def tier(self, mid):
        """The member's tier with progress (GET /members/{id}/tier); the member record's own "tier" agrees."""
        keys = ("id", "since", "review_at")
        for _ in range(20):
            r = self.owner.get("%s/%d/tier" % (MEMBERS, mid))
            self.assertEqual(r.status, 200, r)
            m = self.owner.get("%s/%d" % (MEMBERS, mid)).body
            again = self.owner.get("%s/%d/tier" % (MEMBERS, mid)).body
            if {k: r.body[k] for k in keys} == {k: again[k] for k in keys}:
                break  # no job moved the member between the reads: the two views must agree
        if m["tier"] is not None:  # null until a first activity records the entry tier
            self.assertEqual({k: m["tier"][k] for k in keys}, {k: r.body[k] for k in keys})
        return r.body

    def db(self, sql, *args):
        path = os.path.join(self.server.data_dir, "bashgah.db")
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def wait_for_tier(self, mid, name):
        """The review job runs on the server's clock; give it a few ticks."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            t = self.tier(mid)
            if t["id"] == self.tiers[name]:
                return t
            time.sleep(0.1)
        self.fail("member %d did not reach %s: %r" % (mid, name, self.tier(mid)))

    def test_entry_tier_and_progress_before_any_purchase(self):
        mid = self.member()
        t = self.tier(mid)
        self.assertEqual((t["id"], t["name_en"]), (self.tiers["Entry"], "Entry"))
        self.assertIsNone(t["since"])
        p = t["progress"]
        self.assertEqual((p["basis"], p["current"], p["needed"]), ("spend", 0, 1000000))
        self.assertEqual(p["next_tier"]["id"], self.tiers["Silver"])
        self.assertEqual(p["next_tier"]["threshold"], 1000000)
        assert_problem(self, self.owner.get("%s/999999/tier" % MEMBERS), 404, "not-found")

    def test_upgrade_at_once_with_change_log_and_notice(self):
        mid = self.member()
        now = self.server.clock_now
        a = self.buy(mid, 400000)
        self.assertEqual(a["tier"]["id"], self.tiers["Entry"])
        self.assertEqual(self.tier(mid)["progress"]["needed"], 600000)
        b = self.buy(mid, 700000)
        self.assertEqual(b["tier"]["id"], self.tiers["Silver"])
        t = self.tier(mid)
        self.assertEqual((t["id"], t["name_en"]), (self.tiers["Silver"], "Silver"))
        self.assertEqual(t["since"], rfc3339(now))
        # Qualified until the first purchase leaves the 30-day window, then 10 days of grace.
        self.assertEqual(t["review_at"], rfc3339(now + 40 * DAY_MS))
        p = t["progress"]
        self.assertEqual((p["current"], p["needed"], p["next_tier"]["id"]), (1100000, 3900000, self.tiers["Gold"]))
        changes = self.db("SELECT from_tier, to_tier, reason FROM tier_changes WHERE member_id = ? ORDER BY id", mid)
        self.assertEqual(changes, [(None, self.tiers["Entry"], "entry"),
                                   (self.tiers["Entry"], self.tiers["Silver"], "upgrade")])
        notices = self.db("SELECT data FROM notices WHERE member_id = ? AND kind = 'tier_changed'", mid)
        self.assertEqual(len(notices), 1)
        self.assertIn('"reason":"upgrade"', notices[0][0].replace(" ", ""))

    def test_straight_to_the_top_tier(self):
        mid = self.member()
        self.assertEqual(self.buy(mid, 6000000)["tier"]["id"], self.tiers["Gold"])
        p = self.tier(mid)["progress"]
        self.assertIsNone(p["next_tier"])
        self.assertEqual((p["current"], p["needed"]), (6000000, 0))

    def test_grace_period_then_downgrade_by_the_review_job(self):
        mid = self.member()
        start = self.server.clock_now
        self.buy(mid, 1200000)
        self.assertEqual(self.tier(mid)["id"], self.tiers["Silver"])
        # Past the window but inside the grace period: still Silver, even after another (small) purchase.
        self.server.advance(31 * DAY_MS)
        self.assertEqual(self.buy(mid, 1)["tier"]["id"], self.tiers["Silver"])
        t = self.tier(mid)
        self.assertEqual((t["id"], t["review_at"]), (self.tiers["Silver"], rfc3339(start + 40 * DAY_MS)))
        self.assertEqual(t["progress"]["current"], 1)
        # After the review date the review job moves the member down to what they qualify for.
        self.server.set_clock(start + 40 * DAY_MS + 2 * 3600 * 1000)
        t = self.wait_for_tier(mid, "Entry")
        self.assertIsNone(t["review_at"])
        reasons = [r for (r,) in self.db("SELECT reason FROM tier_changes WHERE member_id = ? ORDER BY id", mid)]
        self.assertEqual(reasons, ["upgrade", "downgrade"])  # straight from no tier to Silver, then down
        self.assertEqual(len(self.db("SELECT 1 FROM notices WHERE member_id = ? AND kind = 'tier_changed'", mid)), 2)

    def test_requalifying_during_grace_keeps_the_tier(self):
        mid = self.member()
        start = self.server.clock_now
        self.buy(mid, 1000000)
        self.server.advance(35 * DAY_MS)
        second = self.server.clock_now
        self.assertEqual(self.buy(mid, 1000000)["tier"]["id"], self.tiers["Silver"])
        # At the old review date the job finds the member qualifying and sets the next date.
        self.server.set_clock(start + 41 * DAY_MS)
        want = rfc3339(second + 40 * DAY_MS)
        deadline = time.monotonic() + 10
        while self.tier(mid)["review_at"] != want and time.monotonic() < deadline:
            time.sleep(0.1)
        t = self.tier(mid)
        self.assertEqual((t["id"], t["review_at"]), (self.tiers["Silver"], want))
        reasons = [r for (r,) in self.db("SELECT reason FROM tier_changes WHERE member_id = ? ORDER BY id", mid)]
        self.assertEqual(reasons, ["upgrade"])

    def test_returns_count_against_spend(self):
        mid = self.member()
        a = self.buy(mid, 1500000)
        self.assertEqual(a["tier"]["id"], self.tiers["Silver"])
        self.buy(mid, 600000, "return", original=a["txn_id"])
        t = self.tier(mid)
        self.assertEqual(t["id"], self.tiers["Silver"])  # a downgrade waits for the review date
        self.assertEqual((t["progress"]["current"], t["progress"]["next_tier"]["id"]), (900000, self.tiers["Gold"]))


class PointsTiersTest(harness.ServerCase):
    """Entry and Gold (100 points earned in 365 days, earning x2), one point per 1,000 spent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.owner.post(API + "/rules", {"name": "base", "priority": 1,
                                            "definition": {"kind": "per_amount", "per_amount_minor": 1000,
                                                           "points": 1}})
        assert r.status == 201, r
        cls.tiers = {}
        for name, rank, threshold in (("Entry", 0, 0), ("Gold", 1, 100)):
            r = cls.owner.post(TIERS, {"name_en": name, "name_fa": name, "rank": rank, "threshold": threshold,
                                       "multiplier_permille": 2000 if rank else 1000})
            assert r.status == 201, r
            cls.tiers[name] = r.body["id"]

    def member(self):
        r = self.owner.post(MEMBERS, {"given_name": "Earner%d" % uniq()})
        self.assertEqual(r.status, 201, r)
        return r.body["id"]

    def buy(self, mid, amount):
        r = self.owner.post(API + "/transactions", {"type": "purchase", "member_id": mid, "store": "S1",
                                                    "txn_id": "P%d" % uniq(), "amount": amount})
        self.assertEqual(r.status, 201, r)
        return r.body

    def test_points_earned_qualify_and_the_multiplier_applies(self):
        mid = self.member()
        a = self.buy(mid, 60000)
        self.assertEqual((a["points_earned"], a["tier"]["id"]), (60, self.tiers["Entry"]))
        p = self.owner.get("%s/%d/tier" % (MEMBERS, mid)).body["progress"]
        self.assertEqual((p["basis"], p["current"], p["needed"]), ("points", 60, 40))
        b = self.buy(mid, 50000)
        self.assertEqual((b["points_earned"], b["tier"]["id"]), (50, self.tiers["Gold"]))
        c = self.buy(mid, 10000)
        self.assertEqual(c["points_earned"], 20)  # 10, doubled by Gold
        t = self.owner.get("%s/%d/tier" % (MEMBERS, mid)).body
        self.assertEqual((t["id"], t["multiplier_permille"], t["progress"]["current"]), (self.tiers["Gold"], 2000, 130))
        self.assertEqual(self.owner.get("%s/%d" % (MEMBERS, mid)).body["tier"]["id"], self.tiers["Gold"])

    def test_adjusted_points_do_not_qualify(self):
        mid = self.member()
        r = self.owner.post("%s/%d/adjustments" % (MEMBERS, mid), {"points": 500, "reason": "goodwill"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.buy(mid, 1000)["tier"]["id"], self.tiers["Entry"])
        self.assertEqual(self.owner.get("%s/%d/tier" % (MEMBERS, mid)).body["progress"]["current"], 1)


if __name__ == "__main__":
    harness.main()
