"""API tests for a campaign's pilot, evaluation, decision and roll-out (docs/campaigns.md): the draw is repeated by
its seed, respects the strata, never puts a member in two arms, and a later wave leaves out everyone already drawn;
refusals name the field and write nothing; the evaluation of generated purchases matches the statistics computed
here independently (python's statistics module and a numerical integral of the t density); a manager's decision is
stored with its evaluation, and the roll-out keeps a holdout.

Environment: BASHGAH_BIN, BASHGAH_SRC (see harness.py)."""

import math
import os
import random
import sqlite3
import statistics
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, uniq  # noqa: E402

CAMPAIGNS = API + "/campaigns"
T0 = 1772323200000  # 2026-03-01T00:00:00Z
HOUR_MS = 3600 * 1000
MEMBERS = 300
SEG_A, SEG_B = 120, 60  # the first 120 members, the next 60; the rest are "other"


def db(server):
    return sqlite3.connect("file:%s?mode=ro" % os.path.join(server.data_dir, "bashgah.db"), uri=True, timeout=30)


def arms_of(server, campaign_id):
    """{member_id: (arm, stratum, wave_id)} of the campaign, read from the database."""
    with db(server) as c:
        rows = c.execute("SELECT member_id, arm, stratum, wave_id FROM campaign_assignments WHERE campaign_id = ?",
                         (campaign_id,)).fetchall()
    return {m: (a, s, w) for m, a, s, w in rows}


def t_two_sided_p(t, df):
    """2 P(T > |t|) by Simpson's rule on the t density after x = tan(u), which maps [|t|, inf) onto a finite range."""
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    lo, hi, n = math.atan(abs(t)), math.pi / 2, 20000
    h = (hi - lo) / n
    s = 0.0
    for i in range(n):  # the last point (u = pi/2) contributes 0
        u = lo + i * h
        x = math.tan(u)
        f = c * (1 + x * x / df) ** (-(df + 1) / 2) / math.cos(u) ** 2
        s += f * (1 if i == 0 else 4 if i % 2 else 2)
    return 2 * s * h / 3


class PilotCase(harness.ServerCase):
    server_kwargs = {"clock_ms": T0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketer = cls.server.client(cls.server.apikey("marketer"))
        cls.manager = cls.server.client(cls.server.apikey("manager"))
        cls.cashier = cls.server.client(cls.server.apikey("cashier"))
        ids = []
        for i in range(MEMBERS):
            r = cls.owner.post(API + "/members", {"given_name": "P%d" % i, "external_ref": "PL-%d" % i})
            assert r.status == 201, r
            ids.append(r.body["id"])
        cls.ids = ids
        r = cls.owner.post(API + "/segments", {"name": "seg A", "kind": "static", "members": ids[:SEG_A]})
        assert r.status == 201, r
        cls.seg_a = r.body["id"]
        r = cls.owner.post(API + "/segments", {"name": "seg B", "kind": "static",
                                               "members": ids[SEG_A:SEG_A + SEG_B]})
        assert r.status == 201, r
        cls.seg_b = r.body["id"]

    def campaign(self, metric="spend_per_member", **extra):
        body = {"name": "Pilot %d" % uniq(), "goal": "more spend", "metric": metric,
                "audience": {"kind": "all"}, "offer": {"kind": "message"},
                "budget": {"money": 10 ** 12, "points": 10 ** 9}}
        body.update(extra)
        r = self.marketer.post(CAMPAIGNS, body)
        self.assertEqual(r.status, 201, r)
        return r.body["id"]

    def pilot(self, cid, body, client=None, status=201):
        r = (client or self.marketer).post("%s/%d/pilot" % (CAMPAIGNS, cid), body)
        self.assertEqual(r.status, status, r)
        return r.body

    def test_same_seed_same_draw(self):
        a, b, c = self.campaign(), self.campaign(), self.campaign()
        body = {"sample": {"count": 40}, "control": {"share": 0.2}, "seed": 12345}
        ra, rb = self.pilot(a, body), self.pilot(b, body)
        self.assertEqual(ra["seed"], 12345)
        self.assertEqual((ra["pilot"], ra["control"]), (40, 60))  # 20% of 300
        self.assertEqual(arms_of(self.server, a).keys(), arms_of(self.server, b).keys())
        self.assertEqual({m: v[0] for m, v in arms_of(self.server, a).items()},
                         {m: v[0] for m, v in arms_of(self.server, b).items()})
        rc = self.pilot(c, dict(body, seed=54321))
        self.assertNotEqual(set(arms_of(self.server, a)), set(arms_of(self.server, c)))
        # a seed is drawn when none is given, and returned
        d = self.pilot(self.campaign(), {"sample": {"count": 5}, "control": {"count": 5}})
        self.assertIsInstance(d["seed"], int)
        self.assertEqual(rc["state"], "pilot")

    def test_pilot_arm_is_granted_and_control_is_not(self):
        cid = self.campaign(offer={"kind": "bonus_points", "points": 10},
                            budget={"money": 10 ** 12, "points": 50})
        self.pilot(cid, {"sample": {"count": 5}, "control": {"count": 5}, "seed": 3})
        with db(self.server) as c:
            rows = c.execute("SELECT arm, granted_at IS NOT NULL FROM campaign_assignments WHERE campaign_id = ?",
                             (cid,)).fetchall()
            spent = c.execute("SELECT spent_points FROM campaigns WHERE id = ?", (cid,)).fetchone()[0]
        self.assertEqual(sorted(rows), [("control", 0)] * 5 + [("pilot", 1)] * 5)
        self.assertEqual(spent, 50)
        v = harness.run_cli(self.server.data_dir, "verify")
        self.assertEqual(v.returncode, 0, (v.stdout, v.stderr))

    def test_verify_names_an_assignment_without_its_member_or_wave(self):
        """campaign_assignments has no foreign keys (migration 0014): `bashgah verify` checks its references."""
        cid = self.campaign()
        self.pilot(cid, {"sample": {"count": 2}, "control": {"count": 2}, "seed": 11})
        path = os.path.join(self.server.data_dir, "bashgah.db")
        rule = "a campaign assignment names a member and a wave of its own campaign"
        for bad in ("INSERT INTO campaign_assignments (campaign_id, member_id, arm, wave_id, assigned_at) "
                    "SELECT %d, 999999999, 'control', wave_id, 0 FROM campaign_assignments WHERE campaign_id = %d "
                    "LIMIT 1" % (cid, cid),
                    "UPDATE campaign_assignments SET wave_id = 999999999 WHERE campaign_id = %d AND member_id = "
                    "(SELECT min(member_id) FROM campaign_assignments WHERE campaign_id = %d)" % (cid, cid)):
            with sqlite3.connect(path, timeout=30) as c:
                saved = c.execute("SELECT member_id, wave_id FROM campaign_assignments WHERE campaign_id = ?",
                                  (cid,)).fetchall()
                c.execute(bad)
            v = harness.run_cli(self.server.data_dir, "verify")
            self.assertEqual(v.returncode, 1, (bad, v.stdout, v.stderr))
            self.assertIn(rule, v.stdout + v.stderr)
            with sqlite3.connect(path, timeout=30) as c:  # put it back for the other tests' verify
                c.execute("DELETE FROM campaign_assignments WHERE campaign_id = ? AND member_id = 999999999", (cid,))
                c.executemany("UPDATE campaign_assignments SET wave_id = ? WHERE campaign_id = ? AND member_id = ?",
                              [(w, cid, m) for m, w in saved])
            v = harness.run_cli(self.server.data_dir, "verify")
            self.assertEqual(v.returncode, 0, (v.stdout, v.stderr))

    def test_strata_respected_and_no_overlap(self):
        cid = self.campaign()
        r = self.pilot(cid, {"sample": {"count": 60}, "control": {"count": 90}, "seed": 7,
                             "stratify_by": "segment", "segments": [self.seg_a, self.seg_b]})
        strata = {s["stratum"]: s for s in r["strata"]}
        pa, pb = "segment:%d" % self.seg_a, "segment:%d" % self.seg_b
        self.assertEqual(strata[pa]["population"], SEG_A)
        self.assertEqual(strata[pb]["population"], SEG_B)
        self.assertEqual(strata["other"]["population"], MEMBERS - SEG_A - SEG_B)
        # proportional: 60 of 300 is 20% of each stratum, 90 more is 30% of each
        self.assertEqual([strata[k]["pilot"] for k in (pa, pb, "other")], [24, 12, 24])
        self.assertEqual([strata[k]["control"] for k in (pa, pb, "other")], [36, 18, 36])
        rows = arms_of(self.server, cid)
        self.assertEqual(len(rows), 150)  # one row per member: nobody in both arms
        in_a, in_b = set(self.ids[:SEG_A]), set(self.ids[SEG_A:SEG_A + SEG_B])
        for m, (arm, stratum, _) in rows.items():
            want = pa if m in in_a else pb if m in in_b else "other"
            self.assertEqual(stratum, want)
        count = {}
        for arm, stratum, _ in rows.values():
            count[(stratum, arm)] = count.get((stratum, arm), 0) + 1
        self.assertEqual(count[(pa, "pilot")], 24)
        self.assertEqual(count[(pb, "control")], 18)

    def test_later_wave_excludes_earlier(self):
        cid = self.campaign()
        first = self.pilot(cid, {"sample": {"count": 50}, "control": {"count": 50}, "seed": 1})
        before = arms_of(self.server, cid)
        second = self.pilot(cid, {"sample": {"count": 50}, "control": {"count": 50}, "seed": 1})
        self.assertEqual(second["audience_size"], MEMBERS - 100)
        after = arms_of(self.server, cid)
        self.assertEqual(len(after), 200)
        for m, v in before.items():
            self.assertEqual(after[m], v)  # the first wave's members keep their arm and wave
        new = {m for m, v in after.items() if v[2] == second["wave_id"]}
        self.assertEqual(len(new), 100)
        self.assertFalse(new & set(before))
        self.assertNotEqual(first["wave_id"], second["wave_id"])
        g = self.marketer.get("%s/%d/pilot" % (CAMPAIGNS, cid))
        self.assertEqual(g.status, 200, g)
        self.assertEqual([w["audience_size"] for w in g.body["waves"]], [MEMBERS, MEMBERS - 100])

    def test_refusals_name_the_field_and_write_nothing(self):
        cid = self.campaign()
        url = "%s/%d/pilot" % (CAMPAIGNS, cid)
        cases = [
            ({"sample": {"count": MEMBERS + 1}, "control": {"count": 1}}, "sample"),
            ({"sample": {"count": 200}, "control": {"count": 101}}, "control"),
            ({"sample": {"share": 0.6}, "control": {"share": 0.5}}, "control"),
            ({"sample": {"count": 10}}, "control"),
            ({"sample": {"share": 2}, "control": {"count": 1}}, "sample.share"),
            ({"sample": {"count": 10}, "control": {"count": 10}, "seed": -1}, "seed"),
            ({"sample": {"count": 10}, "control": {"count": 10}, "stratify_by": "city"}, "stratify_by"),
            ({"sample": {"count": 10}, "control": {"count": 10}, "stratify_by": "segment"}, "segments"),
            ({"sample": {"count": 10}, "control": {"count": 10}, "stratify_by": "segment", "segments": [999999]},
             "segments"),
        ]
        for body, field in cases:
            assert_problem(self, self.marketer.post(url, body), 400, field=field)
        assert_problem(self, self.cashier.post(url, {"sample": {"count": 1}, "control": {"count": 1}}), 403)
        self.assertEqual(arms_of(self.server, cid), {})
        with db(self.server) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM campaign_waves WHERE campaign_id = ?",
                                       (cid,)).fetchone()[0], 0)
            self.assertEqual(c.execute("SELECT state FROM campaigns WHERE id = ?", (cid,)).fetchone()[0], "draft")
        assert_problem(self, self.marketer.post("%s/999999/pilot" % CAMPAIGNS,
                                                {"sample": {"count": 1}, "control": {"count": 1}}), 404)
        p = self.marketer.get("%s/%d/pilot/preview?sample=%d&control=1" % (CAMPAIGNS, cid, MEMBERS))
        assert_problem(self, p, 400, field="control")

    def test_preview_gives_the_mde(self):
        cid = self.campaign(metric="repeat_purchase")
        r = self.marketer.get("%s/%d/pilot/preview?sample=100&control=100" % (CAMPAIGNS, cid))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["kind"], "proportion")
        self.assertEqual((r.body["treated"], r.body["control"]), (100, 100))
        self.assertGreaterEqual(r.body["audience_size"], MEMBERS)
        b = r.body["baseline"]
        if b is not None:  # (z_.975 + z_.8) sqrt(p (1 - p) (1/100 + 1/100)) from the baseline rate
            nd = statistics.NormalDist()
            p = b["value"]
            want = (nd.inv_cdf(0.975) + nd.inv_cdf(0.8)) * math.sqrt(p * (1 - p) * 0.02)
            self.assertAlmostEqual(r.body["mde"], want, places=9)

    def buy(self, mid, amount):
        r = self.cashier.post(API + "/transactions", {"type": "purchase", "store": "S1", "txn_id": "PT-%d" % uniq(),
                                                      "member_id": mid, "amount": amount})
        self.assertEqual(r.status, 201, r)

    def test_evaluation_decision_and_rollout(self):
        spend = self.campaign(metric="spend_per_member")
        rate = self.campaign(metric="repeat_purchase", metric_days=30)
        self.pilot(spend, {"sample": {"count": 60}, "control": {"count": 60}, "seed": 99})
        self.pilot(rate, {"sample": {"count": 60}, "control": {"count": 60}, "seed": 98})
        self.server.advance(HOUR_MS)
        rng = random.Random(2026)
        buyers = {}
        for m in self.ids:
            if rng.random() < 0.45:
                amount = rng.randrange(10000, 500000, 1000)
                self.buy(m, amount)
                buyers[m] = amount
        # spend: Welch's test over every member of each arm (0 for those who bought nothing)
        rows = arms_of(self.server, spend)
        vals = {arm: [buyers.get(m, 0) for m, v in rows.items() if v[0] == arm] for arm in ("pilot", "control")}
        r = self.marketer.get("%s/%d/evaluation" % (CAMPAIGNS, spend))
        self.assertEqual(r.status, 200, r)
        e = r.body
        t, c = vals["pilot"], vals["control"]
        mt, mc = statistics.mean(t), statistics.mean(c)
        at, ac = statistics.variance(t) / len(t), statistics.variance(c) / len(c)
        se = math.sqrt(at + ac)
        df = (at + ac) ** 2 / (at * at / (len(t) - 1) + ac * ac / (len(c) - 1))
        self.assertEqual(e["test"], "welch")
        self.assertEqual((e["treated"]["n"], e["control"]["n"]), (60, 60))
        self.assertAlmostEqual(e["treated"]["value"], mt, places=6)
        self.assertAlmostEqual(e["difference"], mt - mc, places=6)
        self.assertAlmostEqual(e["df"], df, places=6)
        self.assertAlmostEqual(e["p_value"], t_two_sided_p((mt - mc) / se, df), places=5)
        half = (e["ci95"][1] - e["ci95"][0]) / 2
        self.assertAlmostEqual((e["ci95"][0] + e["ci95"][1]) / 2, mt - mc, places=6)
        self.assertTrue(1.96 * se < half < 2.01 * se)  # t_.975 with ~118 df is 1.98
        self.assertAlmostEqual(e["incremental_revenue_minor"], round((mt - mc) * 60), delta=1)
        self.assertFalse(e["srm"]["flag"])
        self.assertEqual(e["srm"]["expected_ratio"], 0.5)
        # repeat purchase: the two-proportion z-test
        rows = arms_of(self.server, rate)
        x = {arm: sum(1 for m, v in rows.items() if v[0] == arm and m in buyers) for arm in ("pilot", "control")}
        r = self.marketer.get("%s/%d/evaluation" % (CAMPAIGNS, rate))
        self.assertEqual(r.status, 200, r)
        e = r.body
        pt, pc = x["pilot"] / 60, x["control"] / 60
        pool = (x["pilot"] + x["control"]) / 120
        nd = statistics.NormalDist()
        self.assertEqual(e["test"], "two_proportion")
        self.assertAlmostEqual(e["difference"], pt - pc, places=9)
        if 0 < pool < 1:
            z = (pt - pc) / math.sqrt(pool * (1 - pool) * (2 / 60))
            self.assertAlmostEqual(e["p_value"], 2 * (1 - nd.cdf(abs(z))), places=9)
        se = math.sqrt(pt * (1 - pt) / 60 + pc * (1 - pc) / 60)
        self.assertAlmostEqual(e["ci95"][0], pt - pc - nd.inv_cdf(0.975) * se, places=9)
        # the decision: managers only, stored with the evaluation
        url = "%s/%d/decision" % (CAMPAIGNS, spend)
        assert_problem(self, self.marketer.post(url, {"decision": "roll_out", "reason": "x"}), 403)
        assert_problem(self, self.manager.post(url, {"decision": "launch", "reason": "x"}), 400, field="decision")
        assert_problem(self, self.manager.post(url, {"decision": "roll_out"}), 400, field="reason")
        roll = "%s/%d/rollout" % (CAMPAIGNS, spend)
        assert_problem(self, self.manager.post(roll, {"holdout": {"share": 0.1}}), 409, field="decision")
        d = self.manager.post(url, {"decision": "roll_out", "reason": "spend is up"})
        self.assertEqual(d.status, 201, d)
        self.assertEqual(d.body["evaluation"]["difference"], self.marketer.get(
            "%s/%d/evaluation" % (CAMPAIGNS, spend)).body["difference"])
        with db(self.server) as cdb:
            stored = cdb.execute("SELECT decision, evaluation FROM campaign_decisions WHERE campaign_id = ?",
                                 (spend,)).fetchall()
        self.assertEqual(len(stored), 1)
        self.assertIn('"test":"welch"', stored[0][1])
        # the roll-out: the rest of the audience, 10% of it kept as the holdout
        r = self.manager.post(roll, {"holdout": {"share": 0.1}, "seed": 5})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["audience_size"], MEMBERS - 120)
        self.assertEqual(r.body["holdout"], 18)
        self.assertEqual(r.body["rollout"], MEMBERS - 120 - 18)
        self.assertEqual(r.body["state"], "running")
        rows = arms_of(self.server, spend)
        self.assertEqual(len(rows), MEMBERS)
        self.assertEqual(sum(1 for v in rows.values() if v[0] == "holdout"), 18)
        ev = self.marketer.get("%s/%d/evaluation?arms=rollout" % (CAMPAIGNS, spend))
        self.assertEqual(ev.status, 200, ev)
        self.assertEqual((ev.body["treated"]["n"], ev.body["control"]["n"]), (MEMBERS - 138, 18))
        # stop: the state moves, with a change row
        s = self.manager.post(url, {"decision": "stop", "reason": "enough"})
        self.assertEqual(s.status, 201, s)
        self.assertEqual(s.body["state"], "stopped")
        with db(self.server) as cdb:
            self.assertEqual(cdb.execute("SELECT to_state FROM campaign_changes WHERE campaign_id = ? ORDER BY id "
                                         "DESC LIMIT 1", (spend,)).fetchone()[0], "stopped")
        assert_problem(self, self.manager.post(url, {"decision": "extend", "reason": "again"}), 409, field="state")


if __name__ == "__main__":
    harness.main()
