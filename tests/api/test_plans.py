"""API tests for the club's plans and competitor notes: plans for six months and a year checked field by field; goals
on live figures (members, repeat-purchase rate, liability, survey coverage and NPS of a survey) keeping the figure
they were set at, shown on track or behind as the server's clock moves and the club changes; goal and plan changes
audited; competitor notes by competitor; and the roles (a cashier is refused, an analyst reads plans only)."""

import json
import os
import sqlite3
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem  # noqa: E402

PLANS = API + "/plans"
GOALS = PLANS + "/goals"
COMPETITORS = API + "/competitors"
DAY_MS = 86400 * 1000
T0 = 1777593600000  # 2026-05-01T00:00:00Z


class PlanCase(harness.ServerCase):
    server_kwargs = {"clock_ms": T0}

    def ok(self, r, status=201):
        self.assertEqual(r.status, status, r)
        return r.body

    def plan(self, **body):
        b = {"title": "Year %d" % harness.uniq(), "horizon": "year", "starts": "2026-03-21", "ends": "2027-03-21"}
        b.update(body)
        return self.ok(self.owner.post(PLANS, b))

    def member(self):
        return self.ok(self.owner.post(API + "/members", {"given_name": "M%d" % harness.uniq()}))["id"]

    def goal_of(self, plan_id, goal_id):
        p = self.ok(self.owner.get("%s/%d" % (PLANS, plan_id)), 200)
        return [g for g in p["goals"] if g["id"] == goal_id][0]


class PlanCheckTest(PlanCase):

    def test_bad_plans_name_the_field(self):
        before = self.ok(self.owner.get(PLANS), 200)["items"]
        base = {"title": "H2", "horizon": "six_months", "starts": "2026-05-01", "ends": "2026-10-31"}
        for change, field in [({"horizon": "decade"}, "horizon"), ({"title": ""}, "title"),
                              ({"starts": "May"}, "starts"), ({"ends": "2026-04-01"}, "ends"),
                              ({"ends": "2027-05-01"}, "ends"), ({"owner": "me"}, "owner")]:
            assert_problem(self, self.owner.post(PLANS, dict(base, **change)), 400, "validation", field)
        body = dict(base)
        del body["starts"]
        assert_problem(self, self.owner.post(PLANS, body), 400, "validation", "starts")
        self.assertEqual(self.ok(self.owner.get(PLANS), 200)["items"], before)
        p = self.ok(self.owner.post(PLANS, base))
        self.assertEqual((p["starts"], p["ends"], p["goals"]), ("2026-05-01T00:00:00.000Z", "2026-10-31T00:00:00.000Z",
                                                                 []))
        # a patch is checked against the record: a six-month plan cannot be stretched over a year
        assert_problem(self, self.owner.patch("%s/%d" % (PLANS, p["id"]), {"ends": "2027-04-30"}), 400, "validation",
                       "ends")
        self.assertEqual(self.ok(self.owner.patch("%s/%d" % (PLANS, p["id"]), {"horizon": "year",
                                                                               "ends": "2027-04-30"}), 200)["horizon"],
                         "year")

    def test_bad_goals_name_the_field(self):
        p = self.plan()
        url = "%s/%d/goals" % (PLANS, p["id"])
        for body, field in [({"metric": "happiness", "target": 1, "due": "2026-12-01"}, "metric"),
                            ({"metric": "members", "target": "lots", "due": "2026-12-01"}, "target"),
                            ({"metric": "active_share", "target": 120, "due": "2026-12-01"}, "target"),
                            ({"metric": "members", "target": -1, "due": "2026-12-01"}, "target"),
                            ({"metric": "members", "target": 10, "due": "2026-04-01"}, "due"),
                            ({"metric": "members", "target": 10}, "due"),
                            ({"metric": "nps", "target": 30, "due": "2026-12-01"}, "survey_id"),
                            ({"metric": "nps", "target": 30, "due": "2026-12-01", "survey_id": 987654}, "survey_id"),
                            ({"metric": "members", "target": 10, "due": "2026-12-01", "survey_id": 1}, "survey_id")]:
            assert_problem(self, self.owner.post(url, body), 400, "validation", field)
        self.assertEqual(self.ok(self.owner.get("%s/%d" % (PLANS, p["id"])), 200)["goals"], [])
        self.assertEqual(self.owner.post("%s/%d/goals" % (PLANS, 987654),
                                         {"metric": "members", "target": 10, "due": "2026-12-01"}).status, 404)


class GoalTrackTest(PlanCase):

    def test_members_goal_on_track_then_behind_then_on_track(self):
        for _ in range(3):
            self.member()
        n0 = harness.member_count(self.owner)  # other tests of this class add members too
        p = self.plan()
        g = self.ok(self.owner.post("%s/%d/goals" % (PLANS, p["id"]),
                                    {"metric": "members", "target": n0 + 10, "due": harness_time(T0 + 100 * DAY_MS),
                                     "note": "ten more"}))
        self.assertEqual((g["baseline"], g["target"]), (n0, n0 + 10))
        got = self.goal_of(p["id"], g["id"])
        self.assertEqual((got["value"], got["track"]), (n0, "on_track"))
        self.server.set_clock(T0 + 50 * DAY_MS)  # n0 + 5 expected
        got = self.goal_of(p["id"], g["id"])
        self.assertAlmostEqual(got["expected"], n0 + 5)
        self.assertEqual((got["value"], got["track"]), (n0, "behind"))
        for _ in range(5):
            self.member()
        got = self.goal_of(p["id"], g["id"])
        self.assertEqual((got["value"], got["track"]), (n0 + 5, "on_track"))
        # a lower target: the line is drawn again from the same baseline
        got = self.ok(self.owner.patch("%s/%d" % (GOALS, g["id"]), {"target": n0 + 20}), 200)
        self.assertEqual((got["target"], got["baseline"]), (n0 + 20, n0))
        self.assertEqual(self.goal_of(p["id"], g["id"])["track"], "behind")  # n0 + 10 expected, n0 + 5 there
        assert_problem(self, self.owner.patch("%s/%d" % (GOALS, g["id"]), {"metric": "nps"}), 400, "validation",
                       "metric")
        self.ok(self.owner.delete("%s/%d" % (GOALS, g["id"])), 204)
        self.assertEqual(self.ok(self.owner.get("%s/%d" % (PLANS, p["id"])), 200)["goals"], [])
        actions = [a["action"] for a in self.owner.get(API + "/audit?limit=500").body["items"]
                   if a["target"] == {"type": "plan_goal", "id": g["id"]}]
        self.assertEqual(actions, ["plan_goal.create", "plan_goal.update", "plan_goal.delete"])
        self.server.set_clock(T0)

    def test_liability_goal_falls_and_repeat_rate_rises(self):
        c = self.owner
        self.ok(c.patch(API + "/programme", {"pending_days": 0, "point_value_minor": 100}), 200)
        self.ok(c.post(API + "/rules", {"name": "base", "priority": 10, "definition": {
            "kind": "per_amount", "points": 1, "per_amount_minor": 10000, "rounding": "floor"}}))
        m = self.member()
        self.ok(c.post(API + "/transactions", {"type": "purchase", "member_id": m, "amount": 1000000, "store": "S1",
                                               "txn_id": "P-%d" % harness.uniq()}))  # 100 points
        p = self.plan(horizon="six_months", starts="2026-05-01", ends="2026-10-31")
        url = "%s/%d/goals" % (PLANS, p["id"])
        due = harness_time(T0 + 100 * DAY_MS)
        liab = self.ok(c.post(url, {"metric": "liability", "target": 0, "due": due}))
        repeat = self.ok(c.post(url, {"metric": "repeat_purchase_rate", "target": 50, "due": due}))
        self.ok(c.post(url, {"metric": "members", "target": 10000, "due": due}))  # shares the figures read
        self.assertGreaterEqual(liab["baseline"], 100 * 100)
        self.assertEqual(repeat["baseline"], 0)
        self.server.set_clock(T0 + 50 * DAY_MS)
        # halfway: liability should be half its baseline; the same member buying again adds points (behind), while
        # the repeat-purchase rate of buyers goes from 0 to 100% (on track)
        self.ok(c.post(API + "/transactions", {"type": "purchase", "member_id": m, "amount": 1000000, "store": "S1",
                                               "txn_id": "P-%d" % harness.uniq()}))
        goals = {g["metric"]: g for g in self.ok(c.get("%s/%d" % (PLANS, p["id"])), 200)["goals"]}
        self.assertEqual(goals["liability"]["value"], liab["baseline"] + 100 * 100)
        self.assertEqual(goals["liability"]["track"], "behind")
        self.assertAlmostEqual(goals["repeat_purchase_rate"]["value"], 100.0)
        self.assertEqual(goals["repeat_purchase_rate"]["track"], "on_track")
        self.assertEqual(goals["members"]["value"], harness.member_count(c))
        # spending the points brings the liability under the line
        self.ok(c.post("%s/members/%d/adjustments" % (API, m), {"points": -200, "reason": "test"}))
        goals = {g["metric"]: g for g in self.ok(c.get("%s/%d" % (PLANS, p["id"])), 200)["goals"]}
        self.assertEqual(goals["liability"]["value"], liab["baseline"] - 100 * 100)
        self.server.set_clock(T0)

    def test_survey_goals_read_coverage_and_nps(self):
        c = self.owner
        people = [self.ok(c.post(API + "/contacts", {"kind": "staff", "given_name": "S%d" % i,
                                                     "email": "s%d-%d@club.example" % (i, harness.uniq()),
                                                     "consent": {"email": True}}))["id"] for i in range(4)]
        s = self.ok(c.post(API + "/surveys", {"title_en": "NPS", "title_fa": "NPS", "questions": [
            {"key": "score", "type": "nps", "text_en": "Recommend?", "text_fa": "توصیه؟"}]}))
        self.ok(c.post("%s/surveys/%d/invitations" % (API, s["id"]), {"audience": {"contact_kind": "staff"},
                                                                      "seed": 1}))
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.server.data_dir, "bashgah.db"), uri=True)
        links = [json.loads(d)["link"] for (d,) in con.execute(
            "SELECT data FROM message_outbox WHERE kind = 'survey_invitation'") if json.loads(d)["survey_id"] == s["id"]]
        con.close()
        self.assertEqual(len(links), len(people))
        pub = self.server.client()
        for link, score in zip(links, (10, 0)):
            self.ok(pub.post(link, {"answers": {"score": score}}))
        p = self.plan()
        url = "%s/%d/goals" % (PLANS, p["id"])
        cov = self.ok(c.post(url, {"metric": "survey_coverage", "survey_id": s["id"], "target": 100,
                                   "due": harness_time(T0 + 10 * DAY_MS)}))
        nps = self.ok(c.post(url, {"metric": "nps", "survey_id": s["id"], "target": 50,
                                   "due": harness_time(T0 + 10 * DAY_MS)}))
        self.assertAlmostEqual(cov["baseline"], 50.0)  # 2 of 4
        self.assertAlmostEqual(nps["baseline"], 0.0)   # one promoter, one detractor
        self.ok(pub.post(links[2], {"answers": {"score": 9}}))
        goals = {g["metric"]: g for g in self.ok(c.get("%s/%d" % (PLANS, p["id"])), 200)["goals"]}
        self.assertAlmostEqual(goals["survey_coverage"]["value"], 75.0)
        self.assertAlmostEqual(goals["nps"]["value"], 100 * (2 - 1) / 3)
        self.assertEqual(goals["nps"]["track"], "on_track")  # just set: the line has hardly moved

    def test_plan_delete_takes_its_goals(self):
        p = self.plan()
        g = self.ok(self.owner.post("%s/%d/goals" % (PLANS, p["id"]),
                                    {"metric": "members", "target": 1000, "due": "2027-01-01"}))
        self.ok(self.owner.delete("%s/%d" % (PLANS, p["id"])), 204)
        self.assertEqual(self.owner.get("%s/%d" % (PLANS, p["id"])).status, 404)
        self.assertEqual(self.owner.patch("%s/%d" % (GOALS, g["id"]), {"target": 5}).status, 404)
        self.assertNotIn(p["id"], [x["id"] for x in self.ok(self.owner.get(PLANS), 200)["items"]])


class CompetitorTest(PlanCase):

    def test_notes_by_competitor(self):
        c = self.owner
        a = self.ok(c.post(COMPETITORS, {"competitor": "Rival Mart", "offer": "Double points on Fridays",
                                         "observed_on": "2026-04-10", "source": "flyer"}))
        b = self.ok(c.post(COMPETITORS, {"competitor": "Rival Mart", "offer": "10% off for members",
                                         "observed_on": "2026-04-20"}))
        x = self.ok(c.post(COMPETITORS, {"competitor": "Other Shop", "offer": "Free delivery",
                                         "observed_on": "2026-04-15"}))
        self.assertTrue(a["written_by"].startswith("test-owner-"), a)  # the key's name
        self.assertIsNone(b["source"])
        ids = [n["id"] for n in self.ok(c.get(COMPETITORS + "?competitor=" + harness.urlquote("Rival Mart")),
                                         200)["items"]]
        self.assertEqual(ids, [b["id"], a["id"]])
        self.assertEqual([n["id"] for n in self.ok(c.get(COMPETITORS), 200)["items"]][:3], [b["id"], x["id"], a["id"]])
        # pages of one: the same order, then the end; a note of an earlier date written later finds its place
        y = self.ok(c.post(COMPETITORS, {"competitor": "Rival Mart", "offer": "Gift wrap", "observed_on": "2026-04-10"}))
        seen, cursor = [], None
        while True:
            page = self.ok(c.get(COMPETITORS + "?competitor=" + harness.urlquote("Rival Mart") + "&limit=1" +
                                 ("&cursor=" + cursor if cursor else "")), 200)
            seen += [n["id"] for n in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, [b["id"], y["id"], a["id"]])
        assert_problem(self, c.get(COMPETITORS + "?cursor=nonsense"), 400, "validation", "cursor")
        self.ok(c.delete("%s/%d" % (COMPETITORS, y["id"])), 204)
        got = self.ok(c.patch("%s/%d" % (COMPETITORS, a["id"]), {"offer": "Triple points on Fridays"}), 200)
        self.assertEqual((got["offer"], got["observed_on"], got["source"]),
                         ("Triple points on Fridays", "2026-04-10", "flyer"))
        for body, field in [({"competitor": "", "offer": "x", "observed_on": "2026-04-10"}, "competitor"),
                            ({"competitor": "R", "offer": "x", "observed_on": "2026-02-30"}, "observed_on"),
                            ({"competitor": "R", "offer": "x", "observed_on": "10/04/2026"}, "observed_on"),
                            ({"competitor": "R", "observed_on": "2026-04-10"}, "offer"),
                            ({"competitor": "R", "offer": "x", "observed_on": "2026-04-10", "price": 1}, "price")]:
            assert_problem(self, c.post(COMPETITORS, body), 400, "validation", field)
        self.ok(c.delete("%s/%d" % (COMPETITORS, x["id"])), 204)
        self.assertEqual(c.delete("%s/%d" % (COMPETITORS, x["id"])).status, 404)
        self.assertNotIn(x["id"], [n["id"] for n in self.ok(c.get(COMPETITORS), 200)["items"]])


class RoleTest(PlanCase):

    def test_roles(self):
        cashier = self.server.client(self.server.apikey("cashier"))
        analyst = self.server.client(self.server.apikey("analyst"))
        marketer = self.server.client(self.server.apikey("marketer"))
        p = self.plan()
        for path in (PLANS, "%s/%d" % (PLANS, p["id"]), COMPETITORS):
            assert_problem(self, cashier.get(path), 403)
            self.assertEqual(marketer.get(path).status, 200)
        self.assertEqual(analyst.get(PLANS).status, 200)
        assert_problem(self, analyst.get(COMPETITORS), 403)
        body = {"title": "x", "horizon": "year", "starts": "2026-05-01", "ends": "2027-04-30"}
        for who in (cashier, analyst, marketer):
            assert_problem(self, who.post(PLANS, body), 403)
            assert_problem(self, who.post("%s/%d/goals" % (PLANS, p["id"]),
                                          {"metric": "members", "target": 5, "due": "2027-01-01"}), 403)
        note = {"competitor": "R", "offer": "x", "observed_on": "2026-04-10"}
        assert_problem(self, cashier.post(COMPETITORS, note), 403)
        assert_problem(self, analyst.post(COMPETITORS, note), 403)
        self.assertEqual(marketer.post(COMPETITORS, note).status, 201)


def harness_time(ms):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


if __name__ == "__main__":
    harness.main()
