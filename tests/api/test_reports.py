"""API tests for the key figures: the summary (members, active members, repeat-purchase and redemption rates,
average spend, outstanding points and their money value, members by class), with and without a store filter, and
the time series (sales, members, points, classes) by day, week and Jalali month in the club's time zone, checked
against answers worked out by hand from a small fixture made through the API on a test clock."""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem  # noqa: E402

REPORTS = API + "/reports"
DAY_MS = 86400 * 1000
T0 = 1772323200000  # 2026-03-01T00:00:00Z
T1 = T0 - 40 * DAY_MS  # 2026-01-20T00:00Z: 03:30 on 30 Dey 1404 in Tehran
T2 = T0 - 5 * DAY_MS   # 2026-02-24T00:00Z: 03:30 on 5 Esfand 1404 in Tehran


class ReportCase(harness.ServerCase):
    """Fixture (the programme's defaults: Asia/Tehran, persian calendar; 1 point per 10,000 rials; no pending):
    at T1  members A and B join; B buys 5,000,000 at S2 (500 points).
    at T2  member C joins; A buys 1,000,000 twice at S1 (100 points each) and returns 500,000 of one (-50 points);
           B gets 30 points by hand and redeems a 100-point reward.
    now    T0."""

    server_kwargs = {"clock_ms": T1}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.owner

        def ok(r, status=201):
            assert r.status == status, r
            return r.body

        ok(c.patch(API + "/programme", {"pending_days": 0, "point_value_minor": 1000}), 200)
        ok(c.post(API + "/rules", {"name": "base", "priority": 10, "definition": {
            "kind": "per_amount", "points": 1, "per_amount_minor": 10000, "rounding": "floor"}}))

        def member(name):
            return ok(c.post(API + "/members", {"given_name": name}))["id"]

        def txn(**body):
            body.setdefault("type", "purchase")
            body.setdefault("txn_id", "T-%d" % harness.uniq())
            return ok(c.post(API + "/transactions", body))

        cls.a, cls.b = member("A"), member("B")
        txn(member_id=cls.b, store="S2", amount=5000000)
        cls.server.set_clock(T2)
        cls.c = member("C")
        first = txn(member_id=cls.a, store="S1", amount=1000000)
        txn(member_id=cls.a, store="S1", amount=1000000)
        txn(type="return", member_id=cls.a, store="S1", amount=500000, original_txn_id=first["txn_id"])
        ok(c.post("%s/members/%d/adjustments" % (API, cls.b), {"points": 30, "reason": "test"}))
        reward = ok(c.post(API + "/rewards", {"name_en": "Mug", "name_fa": "لیوان", "kind": "gift",
                                               "cost_points": 100}))
        ok(c.post(API + "/redemptions", {"member_id": cls.b, "reward_id": reward["id"], "idempotency_key": "r1"}))
        cls.server.set_clock(T0)
        # Classes at T0 at once, rather than whenever the daily job's next tick comes: A is new (first purchase 5
        # days ago), B occasional (one purchase 40 days ago; R 2 + F 2 + M 4 is below main's 12), C a prospect.
        ok(c.post(API + "/classes/recompute"), 200)

    def get(self, path, status=200, client=None):
        r = (client or self.owner).get(REPORTS + path)
        self.assertEqual(r.status, status, r)
        return r.body

    def series(self, doc):
        """{name: [values]} and the (start, label) of each period."""
        values = {s["name"]: [p["value"] for p in s["points"]] for s in doc["series"]}
        periods = [(p["start"], p["label"]) for p in doc["series"][0]["points"]]
        return values, periods


class SummaryTest(ReportCase):

    def test_figures_of_the_whole_club(self):
        s = self.get("/summary")
        want = {"members": 3, "buyers": 2, "repeat_buyers": 1, "active_30": 1, "active_90": 2, "earners": 2,
                "redeemers": 1, "average_spend_minor": (1500000 + 5000000) // 2,
                "points_outstanding": 150 + (500 + 30 - 100), "point_value_minor": 1000,
                "liability_minor": 580 * 1000, "currency": "IRR", "classes": {"new": 1, "occasional": 1, "prospect": 1}, "store": None}
        for k, v in want.items():
            self.assertEqual(s[k], v, k)
        self.assertEqual((s["repeat_purchase_permille"], s["redemption_permille"]), (500, 500))
        self.assertEqual(s["at"], "2026-03-01T00:00:00.000Z")

    def test_figures_of_one_store(self):
        s = self.get("/summary?store=S1")
        want = {"store": "S1", "buyers": 1, "repeat_buyers": 1, "active_30": 1, "active_90": 1,
                "average_spend_minor": 1500000, "members": 3, "points_outstanding": 580}
        for k, v in want.items():
            self.assertEqual(s[k], v, k)
        self.assertEqual(s["repeat_purchase_permille"], 1000)
        s = self.get("/summary?store=NOWHERE")
        self.assertEqual((s["buyers"], s["repeat_purchase_permille"], s["average_spend_minor"]), (0, None, None))

    def test_roles_and_bad_queries(self):
        analyst = self.server.client(self.server.apikey("analyst"))
        cashier = self.server.client(self.server.apikey("cashier"))
        self.assertEqual(self.get("/summary", client=analyst)["members"], 3)
        assert_problem(self, cashier.get(REPORTS + "/summary"), 403)
        assert_problem(self, cashier.get(REPORTS + "/sales"), 403)
        assert_problem(self, self.owner.get(REPORTS + "/summary?period=day"), 400, "validation")
        assert_problem(self, self.owner.get(REPORTS + "/sales?period=year"), 400, "validation", "period")
        assert_problem(self, self.owner.get(REPORTS + "/sales?from=yesterday"), 400, "validation", "from")
        assert_problem(self, self.owner.get(REPORTS + "/sales?from=2026-02-01&to=2026-01-01"), 400, "validation",
                       "from")
        assert_problem(self, self.owner.get(REPORTS + "/sales?period=day&from=2020-01-01"), 400, "validation",
                       "from")


class SeriesTest(ReportCase):

    MONTHS = "&from=2026-01-01&to=2026-03-01"
    # Dey, Bahman and Esfand 1404 start at midnight in Tehran (20:30Z the day before).
    JALALI = [("2025-12-21T20:30:00.000Z", "1404-10"), ("2026-01-20T20:30:00.000Z", "1404-11"),
              ("2026-02-19T20:30:00.000Z", "1404-12")]

    def test_points_by_jalali_month(self):
        doc = self.get("/points?period=month" + self.MONTHS)
        self.assertEqual((doc["period"], doc["calendar"], doc["time_zone"]), ("month", "persian", "Asia/Tehran"))
        values, periods = self.series(doc)
        self.assertEqual(periods, self.JALALI)
        self.assertEqual(values, {"issued": [500, 0, 150], "redeemed": [0, 0, 100], "expired": [0, 0, 0],
                                  "adjusted": [0, 0, 30], "gifted": [0, 0, 0]})
        values, _ = self.series(self.get("/points?period=month&store=S1" + self.MONTHS))
        self.assertEqual(values["issued"], [0, 0, 150])

    def test_sales_and_members_by_day(self):
        days = "&from=2026-02-23T00:00:00Z&to=2026-02-25T00:00:00Z"
        values, periods = self.series(self.get("/sales?period=day" + days))
        self.assertEqual(periods, [("2026-02-22T20:30:00.000Z", "1404-12-04"), ("2026-02-23T20:30:00.000Z",
                                   "1404-12-05"), ("2026-02-24T20:30:00.000Z", "1404-12-06")])
        self.assertEqual(values, {"purchases": [0, 2, 0], "spend_minor": [0, 1500000, 0], "buyers": [0, 1, 0],
                                  "average_spend_minor": [None, 1500000, None]})
        values, _ = self.series(self.get("/members?period=day" + days))
        self.assertEqual(values, {"new": [0, 1, 0], "active": [0, 1, 0]})
        values, _ = self.series(self.get("/sales?period=day&store=S2" + days))
        self.assertEqual(values["purchases"], [0, 0, 0])

    def test_sales_by_month_and_week(self):
        values, periods = self.series(self.get("/sales?period=month" + self.MONTHS))
        self.assertEqual(periods, self.JALALI)
        self.assertEqual(values["spend_minor"], [5000000, 0, 1500000])
        self.assertEqual(values["buyers"], [1, 0, 1])
        # Weeks start on Saturday in the persian calendar: 24 February 2026 is a Tuesday.
        values, periods = self.series(self.get("/members?period=week&from=2026-02-24&to=2026-02-25"))
        self.assertEqual(periods, [("2026-02-20T20:30:00.000Z", "1404-12-02")])
        self.assertEqual(values, {"new": [1], "active": [1]})

    def test_members_by_class_over_time(self):
        values, periods = self.series(self.get("/classes?period=month" + self.MONTHS))
        self.assertEqual(periods, self.JALALI)
        # Dey: A a prospect, B new (bought on 30 Dey); Bahman: the same; Esfand (to now): A new, B occasional
        # (the recompute at T0), C a prospect.
        self.assertEqual(values["prospect"], [1, 1, 1])
        self.assertEqual(values["new"], [1, 1, 1])
        self.assertEqual(values["occasional"], [0, 0, 1])
        self.assertEqual(values["main"], [0, 0, 0])
        self.assertEqual(sorted(values), ["at_risk", "lapsed", "main", "new", "occasional", "prospect"])


if __name__ == "__main__":
    harness.main()


class GiftedTest(harness.ServerCase):
    """A campaign's bonus counts as gifted, not as issued: 20 points to each of two members at T2."""

    server_kwargs = {"clock_ms": T2}

    def test_campaign_points_are_gifted(self):
        c = self.owner
        ids = [c.post(API + "/members", {"given_name": n}).body["id"] for n in ("G1", "G2")]
        seg = c.post(API + "/segments", {"name": "gifted", "members": ids})
        self.assertEqual(seg.status, 201, seg)
        r = c.post(API + "/campaigns", {"name": "gift", "audience": {"kind": "segment", "segment_id": seg.body["id"]},
                                        "offer": {"kind": "bonus_points", "points": 20},
                                        "budget": {"money": 10 ** 12, "points": 1000}})
        self.assertEqual(r.status, 201, r)
        cid = r.body["id"]
        r = c.post("%s/campaigns/%d/state" % (API, cid), {"to": "running"})
        self.assertEqual(r.status, 200, r)
        values = {}
        for _ in range(100):  # the grants are the writer's job: the first chunk comes at once, at most a moment later
            self.server.advance(61 * 1000)
            values = {s["name"]: [p["value"] for p in s["points"]] for s in
                      c.get(REPORTS + "/points?period=month&from=2026-01-01&to=2026-03-01").body["series"]}
            if values["gifted"][-1] == 40:
                break
        self.assertEqual(values["gifted"], [0, 0, 40])
        self.assertEqual(values["issued"], [0, 0, 0])
        self.assertEqual(values["redeemed"], [0, 0, 0])
