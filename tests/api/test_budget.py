"""API tests for the club's money: budget lines in the club's Jalali calendar (Asia/Tehran), costs posted by hand and
straight into the costs table (as campaigns and moments post them) showing up in the line's actual and the report,
the points liability against points granted through purchases, each campaign's cost with the effect of its latest
decision and its return on cost, validation naming the field with nothing written, and the roles."""

import json
import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem  # noqa: E402

BUDGET = API + "/budget"
COSTS = BUDGET + "/costs"
REPORT = BUDGET + "/report"
T0 = 1777593600000  # 2026-05-01T00:00:00Z = 1405-02-11 in Tehran
YEAR_1405 = ("2026-03-20T20:30:00.000Z", "2027-03-20T20:30:00.000Z")  # Nowruz 1405 and 1406, 00:00 in Tehran
MONTH_1405_01 = ("2026-03-20T20:30:00.000Z", "2026-04-20T20:30:00.000Z")  # Farvardin: 31 days


def ms(rfc):
    return int(time.mktime(time.strptime(rfc[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone) * 1000


class BudgetCase(harness.ServerCase):
    server_kwargs = {"clock_ms": T0}

    def ok(self, r, status=201):
        self.assertEqual(r.status, status, r)
        return r.body

    def db(self):
        con = sqlite3.connect(os.path.join(self.server.data_dir, "bashgah.db"), timeout=10)
        con.isolation_level = None
        return con

    def line(self, **body):
        body.setdefault("planned_minor", 1000000)
        return self.ok(self.owner.post(BUDGET, body))

    def report(self, period):
        return self.ok(self.owner.get(REPORT + "?period=" + period), 200)

    def row(self, report, category):
        return [c for c in report["categories"] if c["category"] == category][0]


class LineTest(BudgetCase):

    def test_periods_are_placed_in_the_club_calendar(self):
        y = self.line(category="software", period="1405", note="licences")
        self.assertEqual((y["starts_at"], y["ends_at"]), YEAR_1405)
        m = self.line(category="messages", period="1405-01")
        self.assertEqual((m["starts_at"], m["ends_at"]), MONTH_1405_01)
        self.assertEqual(self.ok(self.owner.get("%s/%d" % (BUDGET, y["id"])), 200), y)
        listed = self.ok(self.owner.get(BUDGET + "?period=1405"), 200)["items"]  # other tests' lines too
        # by start, then category: both start at Nowruz, and messages sorts before software
        self.assertEqual([x["id"] for x in listed if x["id"] in (y["id"], m["id"])], [m["id"], y["id"]])
        self.assertEqual([x["id"] for x in self.ok(self.owner.get(BUDGET + "?category=software"), 200)["items"]],
                         [y["id"]])
        self.assertEqual(self.ok(self.owner.get(BUDGET + "?period=1405-02"), 200)["items"], [])
        # a month of a year that has its line (or the reverse) would count the same money twice
        assert_problem(self, self.owner.post(BUDGET, {"category": "software", "period": "1405-03",
                                                      "planned_minor": 5}), 409, "conflict", "period")
        assert_problem(self, self.owner.post(BUDGET, {"category": "messages", "period": "1405",
                                                      "planned_minor": 5}), 409, "conflict", "period")
        assert_problem(self, self.owner.patch("%s/%d" % (BUDGET, m["id"]), {"category": "software"}), 409,
                       "conflict", "period")

    def test_bad_input_names_the_field_and_writes_nothing(self):
        before = self.ok(self.owner.get(BUDGET), 200)["items"]
        cases = [({"category": "yachts", "period": "1405", "planned_minor": 1}, "category"),
                 ({"category": "staff", "period": "1405", "planned_minor": -1}, "planned_minor"),
                 ({"category": "staff", "period": "1405", "planned_minor": 1.5}, "planned_minor"),
                 ({"category": "staff", "period": "1405-13", "planned_minor": 1}, "period"),
                 ({"category": "staff", "period": "last year", "planned_minor": 1}, "period"),
                 ({"category": "staff", "planned_minor": 1}, "period"),
                 ({"category": "staff", "period": "1405", "planned_minor": 1, "colour": "red"}, "colour")]
        for body, field in cases:
            assert_problem(self, self.owner.post(BUDGET, body), 400, "validation", field)
        self.assertEqual(self.ok(self.owner.get(BUDGET), 200)["items"], before)
        assert_problem(self, self.owner.get(REPORT + "?period=14051"), 400, "validation", "period")
        assert_problem(self, self.owner.get(REPORT), 400, "validation", "period")
        assert_problem(self, self.owner.get(COSTS + "?category=yachts"), 400, "validation", "category")

    def test_one_line_per_category_and_period(self):
        self.line(category="events", period="1405-03")
        assert_problem(self, self.owner.post(BUDGET, {"category": "events", "period": "1405-03", "planned_minor": 5}),
                       409, "conflict", "period")

    def test_a_line_cannot_be_planned_below_what_is_spent(self):
        line = self.line(category="staff", period="1405-02", planned_minor=500000)
        self.ok(self.owner.post(COSTS, {"category": "staff", "amount_minor": 300000, "at": "2026-04-25",
                                        "note": "temp cashier"}))
        got = self.ok(self.owner.get("%s/%d" % (BUDGET, line["id"])), 200)
        self.assertEqual((got["actual_minor"], got["remaining_minor"]), (300000, 200000))
        r = self.owner.patch("%s/%d" % (BUDGET, line["id"]), {"planned_minor": 299999})
        assert_problem(self, r, 400, "validation", "planned_minor", "already spent")
        self.assertEqual(self.ok(self.owner.get("%s/%d" % (BUDGET, line["id"])), 200)["planned_minor"], 500000)
        self.ok(self.owner.post(COSTS, {"category": "events", "amount_minor": 50000, "at": "2026-05-10"}))
        assert_problem(self, self.owner.post(BUDGET, {"category": "events", "period": "1405-02",
                                                      "planned_minor": 49999}), 400, "validation", "planned_minor")
        self.assertEqual(self.ok(self.owner.patch("%s/%d" % (BUDGET, line["id"]), {"planned_minor": 300000}),
                                 200)["planned_minor"], 300000)
        self.ok(self.owner.delete("%s/%d" % (BUDGET, line["id"])), 204)
        self.assertEqual(self.owner.get("%s/%d" % (BUDGET, line["id"])).status, 404)
        assert_problem(self, self.owner.delete("%s/%d" % (BUDGET, line["id"])), 404, "not-found")
        actions = [a["action"] for a in self.owner.get(API + "/audit?limit=500").body["items"]
                   if a["target"] == {"type": "budget_line", "id": line["id"]}]
        self.assertEqual(actions, ["budget_line.create", "budget_line.update", "budget_line.delete"])


class CostTest(BudgetCase):

    def test_costs_by_hand_are_checked(self):
        for body, field in [({"amount_minor": 5}, "category"),
                            ({"category": "staff", "amount_minor": 0}, "amount_minor"),
                            ({"category": "staff", "amount_minor": -5}, "amount_minor"),
                            ({"category": "staff", "amount_minor": 5, "at": "yesterday"}, "at"),
                            ({"category": "staff", "amount_minor": 5, "campaign_id": 987654}, "campaign_id")]:
            assert_problem(self, self.owner.post(COSTS, body), 400, "validation", field)
        self.assertEqual(self.ok(self.owner.get(COSTS), 200)["items"], [])

    def test_costs_list_filters(self):
        a = self.ok(self.owner.post(COSTS, {"category": "events", "amount_minor": 7000, "at": "2026-03-25"}))
        b = self.ok(self.owner.post(COSTS, {"category": "events", "amount_minor": 9000, "at": "2026-04-25"}))
        c = self.ok(self.owner.post(COSTS, {"category": "software", "amount_minor": 11000, "at": "2026-04-25"}))
        self.assertEqual((a["source"], a["at"]), ("manual", "2026-03-25T00:00:00.000Z"))

        def ids(q):
            return [x["id"] for x in self.ok(self.owner.get(COSTS + q), 200)["items"]]
        self.assertEqual(ids("?category=events"), [b["id"], a["id"]])
        self.assertEqual(ids("?period=1405-01"), [a["id"]])
        self.assertEqual(ids("?period=1405-02"), [c["id"], b["id"]])
        page = self.ok(self.owner.get(COSTS + "?limit=2"), 200)
        self.assertEqual([x["id"] for x in page["items"]], [c["id"], b["id"]])
        rest = self.ok(self.owner.get(COSTS + "?limit=2&cursor=" + harness.urlquote(page["next_cursor"])), 200)
        self.assertEqual([x["id"] for x in rest["items"]], [a["id"]])


class ReportTest(BudgetCase):
    """Costs posted by hand and costs a campaign wrote into the table itself; a decision's evaluation."""

    def test_report_sums_costs_from_every_source(self):
        self.line(category="gifts", period="1405-02", planned_minor=800000)
        self.line(category="gifts", period="1405-03", planned_minor=100000)
        self.line(category="staff", period="1405", planned_minor=2000000)
        self.line(category="staff", period="1404", planned_minor=999)  # another year: not in 1405
        self.ok(self.owner.post(COSTS, {"category": "staff", "amount_minor": 250000, "at": "2026-04-01"}))
        self.ok(self.owner.post(COSTS, {"category": "staff", "amount_minor": 40000, "at": "2026-03-01"}))  # 1404
        con = self.db()
        now = harness.now_ms()
        con.execute("INSERT INTO campaigns (name, metric, audience, offer, budget_money_minor, budget_points, "
                    "created_by, created_at, updated_at) VALUES ('Spring', 'repeat_purchase', '{\"kind\":\"all\"}', "
                    "'{\"kind\":\"bonus_points\"}', 1000000, 10000, 'test', ?, ?)", (now, now))
        camp = con.execute("SELECT max(id) FROM campaigns").fetchone()[0]
        at = ms("2026-04-22T10:00:00")
        for cat, amount in (("points", 120000), ("gifts", 30000), ("messages", 5000)):
            con.execute("INSERT INTO costs (category, amount_minor, at, source, campaign_id, ref, actor, created_at) "
                        "VALUES (?, ?, ?, 'campaign', ?, 'test', 'system', ?)", (cat, amount, at, camp, now))
        con.close()
        rep = self.report("1405")
        self.assertEqual((rep["from"], rep["to"]), YEAR_1405)
        self.assertEqual(rep["calendar"], "persian")
        staff, gifts = self.row(rep, "staff"), self.row(rep, "gifts")
        self.assertEqual((staff["planned_minor"], staff["actual_minor"]), (2000000, 250000))
        self.assertEqual((gifts["planned_minor"], gifts["actual_minor"], gifts["remaining_minor"]),
                         (900000, 30000, 870000))
        self.assertEqual(self.row(rep, "points")["actual_minor"], 120000)
        self.assertEqual(rep["total"]["actual_minor"], 250000 + 120000 + 30000 + 5000)
        month = self.report("1405-02")
        self.assertEqual(self.row(month, "gifts")["planned_minor"], 800000)
        self.assertEqual(self.row(month, "staff")["planned_minor"], 0)  # the year's line is not within a month
        c = [x for x in rep["campaigns"] if x["id"] == camp][0]
        self.assertEqual((c["cost_minor"], c["effect"], c["return_on_cost"]), (155000, None, None))
        # a manager's decision stores the evaluation it was made on: the report takes the latest
        con = self.db()
        for inc in (100000, 310000):
            ev = {"metric": "repeat_purchase", "difference": 0.04, "ci95": [0.01, 0.07], "p_value": 0.01,
                  "incremental_revenue_minor": inc}
            con.execute("INSERT INTO campaign_decisions (campaign_id, decision, reason, evaluation, actor, at) "
                        "VALUES (?, 'roll_out', 'works', ?, 'test', ?)", (camp, json.dumps(ev), now))
        con.close()
        c = [x for x in self.report("1405")["campaigns"] if x["id"] == camp][0]
        self.assertEqual(c["effect"]["incremental_revenue_minor"], 310000)
        self.assertEqual(c["incremental_revenue_minor"], 310000)
        self.assertAlmostEqual(c["return_on_cost"], 2.0)
        mine = self.ok(self.owner.get(COSTS + "?campaign_id=%d" % camp), 200)["items"]
        self.assertEqual(sorted(x["amount_minor"] for x in mine), [5000, 30000, 120000])
        self.assertTrue(all(x["campaign_id"] == camp and x["source"] == "campaign" for x in mine))

    def test_liability_is_the_points_members_hold_at_their_value(self):
        self.ok(self.owner.patch(API + "/programme", {"pending_days": 0, "point_value_minor": 250}), 200)
        self.ok(self.owner.post(API + "/rules", {"name": "base", "priority": 10, "definition": {
            "kind": "per_amount", "points": 1, "per_amount_minor": 10000, "rounding": "floor"}}))
        before = self.report("1405")["liability"]["points"]
        granted = 0
        for amount in (5000000, 1230000):
            m = self.ok(self.owner.post(API + "/members", {"given_name": "L%d" % harness.uniq()}))["id"]
            t = self.ok(self.owner.post(API + "/transactions", {"type": "purchase", "member_id": m, "amount": amount,
                                                                "store": "S1", "txn_id": "L-%d" % harness.uniq()}))
            granted += t["points_earned"]
        self.assertEqual(granted, 500 + 123)
        liability = self.report("1405")["liability"]
        self.assertEqual(liability["points"] - before, granted)
        self.assertEqual(liability["point_value_minor"], 250)
        self.assertEqual(liability["money_minor"], liability["points"] * 250)


class RoleTest(BudgetCase):

    def test_roles(self):
        cashier = self.server.client(self.server.apikey("cashier"))
        analyst = self.server.client(self.server.apikey("analyst"))
        marketer = self.server.client(self.server.apikey("marketer"))
        for path in (BUDGET, COSTS, REPORT + "?period=1405"):
            assert_problem(self, cashier.get(path), 403)
            self.assertEqual(analyst.get(path).status, 200)
            self.assertEqual(marketer.get(path).status, 200)
        body = {"category": "other", "amount_minor": 5}
        for c in (cashier, analyst, marketer):
            assert_problem(self, c.post(COSTS, body), 403)
            assert_problem(self, c.post(BUDGET, {"category": "other", "period": "1405", "planned_minor": 5}), 403)
        self.assertEqual(self.ok(self.owner.get(COSTS), 200)["items"], [])


if __name__ == "__main__":
    harness.main()
