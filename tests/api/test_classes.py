"""API tests for customer classes, RFM scores and the value estimate, on a server with a settable clock:
classes after each purchase and return (in their commit), the recompute on demand (RFM quintiles with a tie,
value, main customers), time moving members (new -> occasional, -> at_risk, -> lapsed), a purchase bringing
an at-risk member back, the history with its reasons and pagination, the class settings in the programme
(defaults, changes, validation naming the field) and who may do what. Expected classes, scores and values are
worked out by hand in the comments from the rules in docs/classes.md."""

import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, uniq  # noqa: E402

MEMBERS = API + "/members"
RECOMPUTE = API + "/classes/recompute"
DAY_MS = 86400 * 1000
T0 = 1772323200000  # 2026-03-01T00:00:00Z


def rfc3339(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


class ClassesScenarioTest(harness.ServerCase):
    """Five customers and a prospect; the whole RFM population is this class's, so every score is known."""

    server_kwargs = {"clock_ms": T0}

    def member(self, name):
        r = self.owner.post(MEMBERS, {"given_name": name})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["class"], "prospect")
        self.assertIsNone(r.body["rfm"])
        self.assertIsNone(r.body["value"])
        return r.body["id"]

    def buy(self, mid, amount, days_ago, type_="purchase", original=None):
        body = {"type": type_, "member_id": mid, "store": "S1", "txn_id": "C%d" % uniq(), "amount": amount,
                "occurred_at": rfc3339(self.server.clock_now - days_ago * DAY_MS)}
        if original:
            body["original_txn_id"] = original
        r = self.owner.post(API + "/transactions", body)
        self.assertEqual(r.status, 201, r)
        return body["txn_id"]

    def get(self, mid):
        r = self.owner.get("%s/%d" % (MEMBERS, mid))
        self.assertEqual(r.status, 200, r)
        return r.body

    def history(self, mid, client=None):
        r = (client or self.owner).get("%s/%d/class-history" % (MEMBERS, mid))
        self.assertEqual(r.status, 200, r)
        return [(h["from"], h["to"], h["reason"]) for h in r.body["items"]]

    def recompute(self):
        r = self.manager.post(RECOMPUTE)
        self.assertEqual(r.status, 200, r)
        return r.body

    def wait_for_daily_job(self):
        """Moving the clock a day or more makes the daily recompute due; it runs at the next tick. Its first
        chunk stores the RFM cuts with the time of the run: wait for that (a tiny population is one chunk)."""
        path = os.path.join(self.server.data_dir, "bashgah.db")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
            try:
                row = con.execute("SELECT computed_at FROM rfm_cuts").fetchone()
            finally:
                con.close()
            if row and row[0] == self.server.clock_now:
                return
            time.sleep(0.05)
        self.fail("the daily recompute did not run at %d" % self.server.clock_now)

    def state(self, mid):
        m = self.get(mid)
        rfm = m["rfm"] and (m["rfm"]["r"], m["rfm"]["f"], m["rfm"]["m"])
        return m["class"], rfm, m["value"]

    def test_scenario(self):
        self.manager = self.server.client(self.server.apikey("manager"))
        a, b, c, d, e, p = (self.member(n) for n in "ABCDEP")
        # A: six purchases ten days apart, the last today; B: three, 50 days apart, the last 100 days ago;
        # C: one, 10 days ago; D: two, the last 380 days ago; E: four, the last 5 days ago.
        for days in (50, 40, 30, 20, 10, 0):
            self.buy(a, 100000, days)
        for days in (200, 150, 100):
            self.buy(b, 50000, days)
        self.buy(c, 20000, 10)
        for days in (400, 380):
            self.buy(d, 10000, days)
        e_txns = [self.buy(e, 300000, days) for days in (90, 60, 30, 5)]

        # Before any recompute there are no scores, so nobody is main yet. A's first purchase (50 days ago)
        # is past new_days: occasional; B's first was 200 days ago, more than the 90 days of a one-purchase
        # member: at risk; D's 400 days ago: lapsed; E's 90 days ago (not more than 90): occasional.
        self.assertEqual(self.get(a)["class"], "occasional")
        self.assertEqual(self.get(b)["class"], "at_risk")
        self.assertEqual(self.get(c)["class"], "new")
        self.assertEqual(self.get(d)["class"], "lapsed")
        self.assertEqual(self.get(e)["class"], "occasional")
        self.assertEqual(self.get(c)["class_since"], rfc3339(T0))

        s = self.recompute()
        self.assertEqual(s["customers"], 5)
        self.assertGreaterEqual(s["members"], 6)
        # R by last purchase: D < B < C < E < A -> 1..5. F by count: C1 < D2 < B3 < E4 < A6 -> 1..5.
        # M by spend: C 20000 = D 20000 (a tie at positions 0-1 of 5: 1 + 5*2/10 = 2), B 150000 -> 3,
        # A 600000 -> 4, E 1200000 -> 5.
        # Value: spend x 1095 / max(days since the first purchase, 365).
        self.assertEqual(self.state(a), ("main", (5, 5, 4), 1800000))       # 5+5+4 = 14 >= 12, M 4
        self.assertEqual(self.state(b), ("at_risk", (2, 3, 3), 450000))
        self.assertEqual(self.state(c), ("new", (3, 1, 2), 60000))
        self.assertEqual(self.state(d), ("lapsed", (1, 2, 2), 54750))       # 20000 x 1095 / 400
        self.assertEqual(self.state(e), ("main", (4, 4, 5), 3600000))       # 4+4+5 = 13, M 5
        self.assertEqual(self.state(p), ("prospect", None, None))

        # 25 days on: C's first purchase is 35 days old: occasional (by time). A has not bought for 25 days,
        # under the 30-day floor (1.5 x 10 = 15); E for 30, under 1.5 x 85/3 = 42.5: both still main.
        # The daily job does it (it is due once the clock moves a day); a recompute after it finds nothing to do.
        self.server.advance(25 * DAY_MS)
        self.wait_for_daily_job()
        self.assertEqual(self.recompute()["changed"], 0)
        self.assertEqual(self.state(c), ("occasional", (3, 1, 2), 60000))
        self.assertEqual(self.get(c)["class_since"], rfc3339(T0 + 25 * DAY_MS))
        self.assertEqual(self.state(a)[0], "main")
        self.assertEqual(self.state(e)[0], "main")
        self.assertEqual(self.state(d), ("lapsed", (1, 2, 2), 51529))       # 20000 x 1095 / 425

        # 45 days after T0: A (45 > 30) and E (50 > 42.5) are at risk.
        self.server.advance(20 * DAY_MS)
        self.wait_for_daily_job()
        self.assertEqual(self.state(a)[0], "at_risk")
        self.assertEqual(self.state(e)[0], "at_risk")
        self.assertEqual(self.state(b)[0], "at_risk")

        # A buys again: scored against the last recompute's cuts, R 5 (the latest), F 7 >= 6: 5, M 700000
        # between 600000 and 1200000: 4 -> main again, in the purchase's commit.
        self.buy(a, 100000, 0)
        self.assertEqual(self.state(a), ("main", (5, 5, 4), 2100000))       # 700000 x 1095 / 365
        # E returns one purchase: spend 900000, M still 4; value 900000 x 3; class unchanged, no history row.
        self.buy(e, 300000, 0, "return", e_txns[-1])
        self.assertEqual(self.state(e), ("at_risk", (4, 4, 4), 2700000))

        # While the purchases were recorded one by one (each classified at T0): A's second purchase, 40 days
        # ago, left A 40 days quiet after a 10-day interval (floor 30): at risk until the third; E's second, 60
        # days ago after a 30-day interval (1.5 x 30 = 45), the same until the third.
        self.assertEqual(self.history(a), [("prospect", "occasional", "purchase"), ("occasional", "at_risk", "purchase"),
                                           ("at_risk", "occasional", "purchase"), ("occasional", "main", "recompute"),
                                           ("main", "at_risk", "time"), ("at_risk", "main", "purchase")])
        self.assertEqual(self.history(b), [("prospect", "at_risk", "purchase")])
        self.assertEqual(self.history(c), [("prospect", "new", "purchase"), ("new", "occasional", "time")])
        self.assertEqual(self.history(d), [("prospect", "lapsed", "purchase")])
        self.assertEqual(self.history(e), [("prospect", "occasional", "purchase"), ("occasional", "at_risk", "purchase"),
                                           ("at_risk", "occasional", "purchase"), ("occasional", "main", "recompute"),
                                           ("main", "at_risk", "time")])
        self.assertEqual(self.history(p), [])

        # One more recompute at the same time changes nothing.
        again = self.recompute()
        self.assertEqual(again["changed"], 0)

        # Pagination: four at a time, the cursor leads to the rest.
        r = self.owner.get("%s/%d/class-history?limit=4" % (MEMBERS, a))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.body["items"]), 4)
        self.assertEqual(r.body["class"], "main")
        self.assertEqual(r.body["class_since"], rfc3339(T0 + 45 * DAY_MS))
        self.assertEqual(r.body["items"][0]["at"], rfc3339(T0))
        r2 = self.owner.get("%s/%d/class-history?limit=4&cursor=%s" % (MEMBERS, a, r.body["next_cursor"]))
        self.assertEqual([(h["from"], h["to"]) for h in r2.body["items"]], [("main", "at_risk"), ("at_risk", "main")])
        self.assertIsNone(r2.body["next_cursor"])
        assert_problem(self, self.owner.get("%s/999999/class-history" % MEMBERS), 404, "not-found")
        assert_problem(self, self.owner.get("%s/%d/class-history?colour=1" % (MEMBERS, a)), 400, "validation")

        # Who may: analysts read the history but do not recompute; cashiers and marketers do neither.
        analyst = self.server.client(self.server.apikey("analyst"))
        self.assertEqual(self.history(b, analyst), [("prospect", "at_risk", "purchase")])
        assert_problem(self, analyst.post(RECOMPUTE), 403, "forbidden")
        for role in ("cashier", "marketer"):
            other = self.server.client(self.server.apikey(role))
            assert_problem(self, other.get("%s/%d/class-history" % (MEMBERS, a)), 403, "forbidden")
            assert_problem(self, other.post(RECOMPUTE), 403, "forbidden")


class ClassSettingsTest(harness.ServerCase):
    """The "classes" object of the programme settings."""

    server_kwargs = {"clock_ms": T0}

    def test_defaults_changes_and_validation(self):
        r = self.owner.get(API + "/programme")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["classes"], {"new_days": 30, "lapsed_days": 365, "at_risk_margin_pct": 150,
                                             "at_risk_min_days": 30, "at_risk_single_days": 90, "main_rfm_min": 12,
                                             "main_m_min": 4, "value_horizon_days": 1095,
                                             "value_min_tenure_days": 365})
        manager = self.server.client(self.server.apikey("manager"))
        r = manager.patch(API + "/programme", {"classes": {"new_days": 14, "lapsed_days": 180}, "pending_days": 1})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["classes"]["new_days"], r.body["classes"]["lapsed_days"]), (14, 180))
        self.assertEqual(r.body["pending_days"], 1)
        got = self.owner.get(API + "/programme").body
        self.assertEqual(got["classes"]["new_days"], 14)
        self.assertEqual(got["classes"]["main_m_min"], 4)

        assert_problem(self, manager.patch(API + "/programme", {"classes": {"new_days": 0}}), 400, "validation",
                       field="classes.new_days")
        assert_problem(self, manager.patch(API + "/programme", {"classes": {"main_m_min": "4"}}), 400, "validation",
                       field="classes.main_m_min")
        assert_problem(self, manager.patch(API + "/programme", {"classes": {"colour": 1}}), 400, "validation",
                       field="classes.colour")
        assert_problem(self, manager.patch(API + "/programme", {"classes": 5}), 400, "validation", field="classes")
        # Checked against the stored settings: 90 days of at_risk_single_days do not fit under 80 lapsed days.
        assert_problem(self, manager.patch(API + "/programme", {"classes": {"lapsed_days": 80}}), 400, "validation",
                       field="classes.lapsed_days")
        self.assertEqual(self.owner.get(API + "/programme").body["classes"]["lapsed_days"], 180)
        r = manager.patch(API + "/programme", {"classes": {"lapsed_days": 80, "at_risk_single_days": 60}})
        self.assertEqual(r.status, 200, r)
        audit = self.owner.get(API + "/audit?limit=500").body["items"]
        last = [x for x in audit if x["action"] == "programme.update"][-1]
        self.assertEqual(last["after"]["classes"]["lapsed_days"], 80)
        self.assertEqual(last["before"]["classes"]["lapsed_days"], 180)

        # A one-purchase member 70 days quiet: at risk under at_risk_single_days 60.
        m = self.owner.post(MEMBERS, {"given_name": "S"}).body["id"]
        body = {"type": "purchase", "member_id": m, "store": "S1", "txn_id": "S%d" % uniq(), "amount": 1000,
                "occurred_at": rfc3339(T0 - 70 * DAY_MS)}
        self.assertEqual(self.owner.post(API + "/transactions", body).status, 201)
        self.assertEqual(self.owner.get("%s/%d" % (MEMBERS, m)).body["class"], "at_risk")

        for role in ("analyst", "cashier", "marketer"):
            c = self.server.client(self.server.apikey(role))
            assert_problem(self, c.patch(API + "/programme", {"classes": {"new_days": 20}}), 403, "forbidden")
        analyst = self.server.client(self.server.apikey("analyst"))
        self.assertEqual(analyst.get(API + "/programme").body["classes"]["new_days"], 14)


if __name__ == "__main__":
    harness.main()
