"""API tests for what the writer caches between purchases (the programme, the tiers, the earning rules, the class
settings and the RFM cuts): a
change through the API is seen by the very next purchase, a change that is rolled back is not kept, and a change
committed by another process (another connection to the database, as the CLI is) is seen too."""

import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, uniq  # noqa: E402

MEMBERS = API + "/members"
TXNS = API + "/transactions"
RULES = API + "/rules"
PROGRAMME = API + "/programme"
TIERS = API + "/tiers"


def days_ago(days):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - days * 86400))


class WriterCacheTest(harness.ServerCase):

    def member(self):
        r = self.owner.post(MEMBERS, {"external_ref": "WC-%d" % uniq(), "given_name": "Buyer"})
        self.assertEqual(r.status, 201, r)
        return r.body["id"]

    def buy(self, mid, amount):
        r = self.owner.post(TXNS, {"type": "purchase", "store": "S1", "txn_id": "WC-%d" % uniq(), "member_id": mid,
                                   "amount": amount})
        self.assertEqual(r.status, 201, r)
        return r.body

    def other_connection(self, sql, *args):
        """Writes as another process would (the CLI): its own connection, its own commit."""
        con = sqlite3.connect(os.path.join(self.server.data_dir, "bashgah.db"), timeout=10)
        try:
            con.execute(sql, args)
            con.commit()
        finally:
            con.close()

    def test_rule_changes_through_the_api_apply_to_the_next_purchase(self):
        mid = self.member()
        self.assertEqual(self.buy(mid, 250000)["points_earned"], 0)  # no rule yet
        r = self.owner.post(RULES, {"name": "rate %d" % uniq(), "priority": 10,
                                    "definition": {"kind": "per_amount", "per_amount_minor": 10000}})
        self.assertEqual(r.status, 201, r)
        rule = r.body
        self.assertEqual(self.buy(mid, 250000)["points_earned"], 25)
        r = self.owner.patch("%s/%d" % (RULES, rule["id"]),
                             {"definition": {"kind": "per_amount", "per_amount_minor": 1000}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.buy(mid, 250000)["points_earned"], 250)
        self.assertEqual(self.owner.delete("%s/%d" % (RULES, rule["id"])).status, 204)
        self.assertEqual(self.buy(mid, 250000)["points_earned"], 0)

    def test_a_refused_rule_change_leaves_the_rules_as_they_were(self):
        mid = self.member()
        r = self.owner.post(RULES, {"name": "kept %d" % uniq(), "priority": 10,
                                    "definition": {"kind": "per_amount", "per_amount_minor": 10000}})
        self.assertEqual(r.status, 201, r)
        self.addCleanup(self.owner.delete, "%s/%d" % (RULES, r.body["id"]))
        self.assertEqual(self.buy(mid, 100000)["points_earned"], 10)
        bad = self.owner.patch("%s/%d" % (RULES, r.body["id"]), {"definition": {"kind": "per_amount"}})
        self.assertEqual(bad.status, 400, bad)
        self.assertEqual(self.buy(mid, 100000)["points_earned"], 10)

    def test_changes_committed_by_another_connection_are_seen(self):
        mid = self.member()
        r = self.owner.post(RULES, {"name": "outside %d" % uniq(), "priority": 10,
                                    "definition": {"kind": "per_amount", "per_amount_minor": 10000}})
        self.assertEqual(r.status, 201, r)
        rule_id = r.body["id"]
        self.addCleanup(self.owner.delete, "%s/%d" % (RULES, rule_id))
        first = self.buy(mid, 100000)
        self.assertEqual((first["points_earned"], first["balance"]["pending"]), (10, 0))
        # Another process changes the rule and the programme behind the server's back.
        self.other_connection("UPDATE rules SET definition = ? WHERE id = ?",
                              '{"kind":"per_amount","points":1,"per_amount_minor":1000,"rounding":"floor",'
                              '"rounding_scope":"total"}', rule_id)
        self.other_connection("UPDATE programme SET pending_days = 7 WHERE id = 1")
        self.addCleanup(self.other_connection, "UPDATE programme SET pending_days = 0 WHERE id = 1")
        second = self.buy(mid, 100000)
        self.assertEqual(second["points_earned"], 100)
        self.assertEqual(second["balance"]["pending"], 100)
        self.assertEqual(self.owner.get(PROGRAMME).body["pending_days"], 7)

    def first_purchase_class(self, days):
        """The class of a new member right after one purchase made days ago."""
        mid = self.member()
        r = self.owner.post(TXNS, {"type": "purchase", "store": "S1", "txn_id": "WC-%d" % uniq(), "member_id": mid,
                                   "amount": 1000, "occurred_at": days_ago(days)})
        self.assertEqual(r.status, 201, r)
        return self.owner.get("%s/%d" % (MEMBERS, mid)).body["class"]

    def test_class_settings_and_cuts_changes_apply_to_the_next_purchase(self):
        # A first purchase 20 days ago is "new" under the default 30 new days, "occasional" under 14.
        self.assertEqual(self.first_purchase_class(20), "new")
        self.addCleanup(self.other_connection, "UPDATE programme SET class_new_days = 30 WHERE id = 1")
        r = self.owner.patch(PROGRAMME, {"classes": {"new_days": 14}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.first_purchase_class(20), "occasional")
        # Another process puts the settings back behind the server's back.
        self.other_connection("UPDATE programme SET class_new_days = 30 WHERE id = 1")
        self.assertEqual(self.first_purchase_class(20), "new")
        # Cuts written by another process (a recompute run from the CLI) are used by the next purchase: with every
        # cut above what one purchase reaches, the buyer scores 1 on frequency and money; with no cuts, no scores.
        mid = self.member()
        self.buy(mid, 1000)
        self.assertIsNone(self.owner.get("%s/%d" % (MEMBERS, mid)).body["rfm"])
        self.other_connection("INSERT OR REPLACE INTO rfm_cuts (id, r2, r3, r4, r5, f2, f3, f4, f5, m2, m3, m4, m5, "
                              "customers, computed_at) VALUES (1, 1, 2, 3, 4, 1000, 1001, 1002, 1003, "
                              "1000000000, 1000000001, 1000000002, 1000000003, 10, 0)")
        self.addCleanup(self.other_connection, "DELETE FROM rfm_cuts")
        mid = self.member()
        self.buy(mid, 1000)
        self.assertEqual(self.owner.get("%s/%d" % (MEMBERS, mid)).body["rfm"], {"r": 5, "f": 1, "m": 1})


if __name__ == "__main__":
    harness.main()
