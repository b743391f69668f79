"""API tests for rewards and redemptions: the catalogue (create, get, patch, list with ?active= and cursors,
validation), redemptions (answer, code, balance, replays, conflicts, every refusal), the status moves of gifts and
cancellations that give points and stock back, audit entries, roles, and races: concurrent redemptions for one
member never overspend, and concurrent redemptions of a limited stock never oversell."""

import os
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, RFC3339_MS, assert_problem, uniq  # noqa: E402

REWARDS = API + "/rewards"
REDEMPTIONS = API + "/redemptions"
TIERS = API + "/tiers"
CODE_RE = r"^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{10}$"


class Helpers:
    """Members with points, rewards and redemptions, for the test classes below."""

    def member(self, points=0):
        r = self.owner.post(API + "/members", {"given_name": "Redeemer%d" % uniq()})
        self.assertEqual(r.status, 201, r)
        mid = r.body["id"]
        if points:
            self.give(mid, points)
        return mid

    def give(self, mid, points):
        r = self.owner.post("%s/members/%d/adjustments" % (API, mid), {"points": points, "reason": "test"})
        self.assertEqual(r.status, 201, r)
        return r.body

    def available(self, mid):
        r = self.owner.get("%s/members/%d" % (API, mid))
        self.assertEqual(r.status, 200, r)
        return r.body["points"]["available"]

    def reward(self, **fields):
        body = {"name_en": "Reward %d" % uniq(), "name_fa": "جایزه", "kind": "discount_code", "cost_points": 100}
        body.update(fields)
        r = self.owner.post(REWARDS, body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def get_reward(self, rid):
        r = self.owner.get("%s/%d" % (REWARDS, rid))
        self.assertEqual(r.status, 200, r)
        return r.body

    def redeem(self, mid, rid, key=None, client=None):
        body = {"member_id": mid, "reward_id": rid, "idempotency_key": key or "k-%d" % uniq()}
        return (client or self.owner).post(REDEMPTIONS, body)

    def redeemed(self, mid, rid, key=None):
        r = self.redeem(mid, rid, key)
        self.assertEqual(r.status, 201, r)
        return r.body

    def move(self, did, status):
        return self.owner.patch("%s/%d" % (REDEMPTIONS, did), {"status": status})

    def audit_actions(self, target_type, target_id):
        actions, cursor = [], None
        while True:
            r = self.owner.get(API + "/audit?limit=500" + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            actions += [a["action"] for a in r.body["items"]
                        if a["target"]["type"] == target_type and a["target"]["id"] == target_id]
            cursor = r.body["next_cursor"]
            if not cursor:
                return actions



class RewardsTest(Helpers, harness.ServerCase):

    # ----- the catalogue

    def test_create_round_trips_every_field(self):
        body = {
            "name_en": "Cinema for two", "name_fa": "سینما برای دو نفر",
            "description_en": "Two tickets\nany day", "description_fa": "دو بلیت",
            "kind": "experience", "cost_points": 2500, "cost_minor": 400000, "stock": 40,
            "per_member_limit": 2, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2099-12-31T23:59:59Z",
            "tiers": None, "active": True,
        }
        r = self.owner.post(REWARDS, body)
        self.assertEqual(r.status, 201, r)
        w = r.body
        self.assertTrue(r.headers.get("Location").endswith("%s/%d" % (REWARDS, w["id"])), r)
        for k in ("name_en", "name_fa", "description_en", "description_fa", "kind", "cost_points", "cost_minor",
                  "stock", "per_member_limit", "tiers", "active"):
            self.assertEqual(w[k], body[k], k)
        self.assertEqual(w["valid_from"], "2026-01-01T00:00:00.000Z")
        self.assertEqual(w["valid_until"], "2099-12-31T23:59:59.000Z")
        self.assertRegex(w["created_at"], RFC3339_MS)
        self.assertEqual(self.get_reward(w["id"]), w)
        self.assertEqual(self.audit_actions("reward", w["id"]), ["reward.create"])

    def test_defaults_on_create(self):
        w = self.reward()
        self.assertEqual(w["cost_minor"], 0)
        for k in ("stock", "per_member_limit", "valid_from", "valid_until", "tiers", "description_en",
                  "description_fa"):
            self.assertIsNone(w[k], k)
        self.assertIs(w["active"], True)

    def test_create_validation_names_each_field(self):
        for body, field in [
            ({"name_fa": "x", "kind": "gift", "cost_points": 1}, "name_en"),
            ({"name_en": "x", "name_fa": "x", "kind": "voucher", "cost_points": 1}, "kind"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 0}, "cost_points"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift"}, "cost_points"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": "5"}, "cost_points"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1, "stock": -1}, "stock"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1, "per_member_limit": 0},
             "per_member_limit"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1, "valid_from": "yesterday"},
             "valid_from"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1,
              "valid_from": "2026-02-01T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"}, "valid_until"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1, "tiers": [999999]}, "tiers"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1, "tiers": "gold"}, "tiers"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1, "active": "yes"}, "active"),
            ({"name_en": "  ", "name_fa": "x", "kind": "gift", "cost_points": 1}, "name_en"),
            ({"name_en": "x" * 129, "name_fa": "x", "kind": "gift", "cost_points": 1}, "name_en"),
            ({"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1, "colour": "red"}, "colour"),
        ]:
            with self.subTest(field=field, body=body):
                assert_problem(self, self.owner.post(REWARDS, body), 400, "validation", field=field)

    def test_patch_merges_and_null_clears(self):
        w = self.reward(stock=5, per_member_limit=1, description_en="old")
        r = self.owner.patch("%s/%d" % (REWARDS, w["id"]), {"stock": None, "cost_points": 150, "description_en": None})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.body["stock"])
        self.assertIsNone(r.body["description_en"])
        self.assertEqual(r.body["cost_points"], 150)
        self.assertEqual(r.body["per_member_limit"], 1)
        self.assertEqual(r.body["name_en"], w["name_en"])
        self.assertEqual(self.get_reward(w["id"]), r.body)
        assert_problem(self, self.owner.patch("%s/%d" % (REWARDS, w["id"]), {"kind": "coupon"}), 400, "validation",
                       field="kind")
        assert_problem(self, self.owner.patch("%s/999999" % REWARDS, {"stock": 1}), 404, "not-found")
        self.assertEqual(self.audit_actions("reward", w["id"]), ["reward.create", "reward.update"])

    def test_get_unknown_is_404(self):
        assert_problem(self, self.owner.get("%s/999999" % REWARDS), 404, "not-found")
        assert_problem(self, self.owner.get("%s/999999" % REDEMPTIONS), 404, "not-found")

    def test_list_filters_active_and_pages_with_cursor(self):
        on = [self.reward()["id"] for _ in range(3)]
        off = self.reward(active=False)["id"]
        r = self.owner.get(REWARDS + "?active=true&limit=500")
        self.assertEqual(r.status, 200, r)
        ids = [w["id"] for w in r.body["items"]]
        self.assertTrue(set(on) <= set(ids))
        self.assertNotIn(off, ids)
        self.assertTrue(all(w["active"] for w in r.body["items"]))
        r = self.owner.get(REWARDS + "?active=false&limit=500")
        self.assertIn(off, [w["id"] for w in r.body["items"]])
        self.assertFalse(any(w["active"] for w in r.body["items"]))
        # Every reward exactly once, page by page.
        seen, cursor = [], None
        while True:
            r = self.owner.get(REWARDS + "?limit=2" + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.body["items"]), 2)
            seen += [w["id"] for w in r.body["items"]]
            cursor = r.body["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, sorted(set(seen)))
        self.assertTrue(set(on + [off]) <= set(seen))
        assert_problem(self, self.owner.get(REWARDS + "?active=maybe"), 400, "validation", field="active")
        assert_problem(self, self.owner.get(REWARDS + "?colour=red"), 400)

    def test_cashier_redeems_but_does_not_edit_the_catalogue(self):
        cashier = self.server.client(self.server.apikey("cashier"))
        r = cashier.post(REWARDS, {"name_en": "x", "name_fa": "x", "kind": "gift", "cost_points": 1})
        assert_problem(self, r, 403)
        w = self.reward(cost_points=10)
        mid = self.member(points=10)
        self.assertEqual(self.redeem(mid, w["id"], client=cashier).status, 201)
        self.assertEqual(cashier.get(REWARDS).status, 200)

    # ----- redemptions

    def test_redemption_answer_takes_points_and_stock(self):
        mid = self.member(points=1000)
        w = self.reward(cost_points=300, stock=5)
        r = self.redeem(mid, w["id"], key="order-1")
        self.assertEqual(r.status, 201, r)
        d = r.body
        self.assertTrue(r.headers.get("Location").endswith("%s/%d" % (REDEMPTIONS, d["id"])), r)
        self.assertEqual((d["member_id"], d["reward_id"], d["points"], d["status"]), (mid, w["id"], 300, "issued"))
        self.assertRegex(d["code"], CODE_RE)
        self.assertRegex(d["created_at"], RFC3339_MS)
        self.assertEqual(d["balance"]["available"], 700)
        self.assertIn("pending", d["balance"])
        self.assertEqual(self.available(mid), 700)
        self.assertEqual(self.get_reward(w["id"])["stock"], 4)
        g = self.owner.get("%s/%d" % (REDEMPTIONS, d["id"]))
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.body, {k: v for k, v in d.items() if k != "balance"} | {"updated_at": g.body["updated_at"]})
        self.assertEqual(self.audit_actions("redemption", d["id"]), ["redemption.create"])

    def test_codes_differ(self):
        mid = self.member(points=2000)
        w = self.reward(cost_points=100)
        codes = {self.redeemed(mid, w["id"])["code"] for _ in range(10)}
        self.assertEqual(len(codes), 10)

    def test_replay_returns_the_first_answer_and_takes_nothing_more(self):
        mid = self.member(points=1000)
        w = self.reward(cost_points=400, stock=3)
        first = self.redeem(mid, w["id"], key="same")
        self.assertEqual(first.status, 201, first)
        again = self.redeem(mid, w["id"], key="same")
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(self.available(mid), 600)
        self.assertEqual(self.get_reward(w["id"])["stock"], 2)
        # The same key for another reward is a conflict; for another member it is a new key.
        other = self.reward(cost_points=1)
        assert_problem(self, self.redeem(mid, other["id"], key="same"), 409, "idempotency-conflict",
                       field="idempotency_key")
        mid2 = self.member(points=400)
        self.assertEqual(self.redeem(mid2, w["id"], key="same").status, 201)
        self.assertEqual(self.available(mid), 600)

    def test_idempotency_key_may_come_in_the_header(self):
        mid = self.member(points=100)
        w = self.reward(cost_points=60)
        body = {"member_id": mid, "reward_id": w["id"]}
        key = "hdr-%d" % uniq()
        a = self.owner.post(REDEMPTIONS, body, headers={"Idempotency-Key": key})
        self.assertEqual(a.status, 201, a)
        b = self.owner.post(REDEMPTIONS, body, headers={"Idempotency-Key": key})
        self.assertEqual((b.status, b.body), (201, a.body))
        self.assertEqual(self.available(mid), 40)
        c = self.owner.post(REDEMPTIONS, body, headers={"Idempotency-Key": key + "-2"})
        assert_problem(self, c, 409, "insufficient-points", field="points")

    def test_request_validation(self):
        mid = self.member()
        w = self.reward()
        for body, field in [
            ({"reward_id": w["id"], "idempotency_key": "a"}, "member_id"),
            ({"member_id": "1", "reward_id": w["id"], "idempotency_key": "a"}, "member_id"),
            ({"member_id": mid, "idempotency_key": "a"}, "reward_id"),
            ({"member_id": mid, "reward_id": w["id"]}, "idempotency_key"),
            ({"member_id": mid, "reward_id": w["id"], "idempotency_key": ""}, "idempotency_key"),
            ({"member_id": mid, "reward_id": w["id"], "idempotency_key": "a b"}, "idempotency_key"),
            ({"member_id": mid, "reward_id": w["id"], "idempotency_key": "k" * 129}, "idempotency_key"),
            ({"member_id": mid, "reward_id": w["id"], "idempotency_key": "a", "note": 1}, "note"),
        ]:
            with self.subTest(body=body):
                assert_problem(self, self.owner.post(REDEMPTIONS, body), 400, "validation", field=field)
        assert_problem(self, self.redeem(999999, w["id"]), 404, "not-found", field="member_id")
        assert_problem(self, self.redeem(mid, 999999), 404, "not-found", field="reward_id")

    def test_insufficient_points_is_409_and_writes_nothing(self):
        mid = self.member(points=99)
        w = self.reward(cost_points=100, stock=2)
        body = assert_problem(self, self.redeem(mid, w["id"]), 409, "insufficient-points", field="points")
        self.assertIn("99", body["detail"])
        self.assertEqual(self.available(mid), 99)
        self.assertEqual(self.get_reward(w["id"])["stock"], 2)
        r = self.owner.get("%s/members/%d/redemptions" % (API, mid))
        self.assertEqual(r.body["items"], [])
        # A refused key is not spent: once the member has the points, the same key redeems.
        self.give(mid, 1)
        self.assertEqual(self.redeem(mid, w["id"], key="again").status, 201)

    def test_refusals_for_inactive_not_yet_expired_limit_and_stock(self):
        mid = self.member(points=10000)
        cases = [
            (self.reward(active=False), "reward-unavailable"),
            (self.reward(valid_from="2099-01-01T00:00:00Z"), "reward-unavailable"),
            (self.reward(valid_until="2001-01-01T00:00:00Z"), "reward-unavailable"),
            (self.reward(stock=0), "out-of-stock"),
        ]
        for w, slug in cases:
            with self.subTest(slug=slug, reward=w):
                assert_problem(self, self.redeem(mid, w["id"]), 409, slug)
        limited = self.reward(per_member_limit=2)
        self.redeemed(mid, limited["id"])
        second = self.redeemed(mid, limited["id"])
        assert_problem(self, self.redeem(mid, limited["id"]), 409, "limit-reached", field="reward_id")
        # A cancelled redemption no longer counts towards the limit.
        self.assertEqual(self.move(second["id"], "cancelled").status, 200)
        self.redeemed(mid, limited["id"])
        last = self.reward(stock=1)
        self.redeemed(mid, last["id"])
        assert_problem(self, self.redeem(mid, last["id"]), 409, "out-of-stock")
        self.assertEqual(self.get_reward(last["id"])["stock"], 0)
        # Inactive again: after a patch it may be taken.
        self.owner.patch("%s/%d" % (REWARDS, cases[0][0]["id"]), {"active": True})
        self.redeemed(mid, cases[0][0]["id"])

    def test_erased_member_cannot_redeem(self):
        mid = self.member(points=500)
        w = self.reward()
        self.assertEqual(self.owner.delete("%s/members/%d" % (API, mid)).status, 204)
        assert_problem(self, self.redeem(mid, w["id"]), 409, field="member_id")

    # ----- status moves

    def test_gift_moves_ordered_shipped_delivered(self):
        mid = self.member(points=500)
        w = self.reward(kind="gift", cost_points=200)
        d = self.redeemed(mid, w["id"])
        self.assertEqual(d["status"], "ordered")
        assert_problem(self, self.move(d["id"], "delivered"), 409, "invalid-transition", field="status")
        for status in ("shipped", "delivered"):
            r = self.move(d["id"], status)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body["status"], status)
        self.assertEqual(self.owner.get("%s/%d" % (REDEMPTIONS, d["id"])).body["status"], "delivered")
        for status in ("cancelled", "shipped", "ordered", "issued"):
            assert_problem(self, self.move(d["id"], status), 409, "invalid-transition")
        self.assertEqual(self.available(mid), 300)
        self.assertEqual(self.audit_actions("redemption", d["id"]),
                         ["redemption.create", "redemption.update", "redemption.update"])

    def test_cancellation_returns_points_and_stock_once(self):
        mid = self.member(points=500)
        for kind, path in (("gift", ["shipped"]), ("gift", []), ("discount_code", [])):
            with self.subTest(kind=kind, path=path):
                w = self.reward(kind=kind, cost_points=200, stock=3)
                d = self.redeemed(mid, w["id"])
                for status in path:
                    self.assertEqual(self.move(d["id"], status).status, 200)
                self.assertEqual(self.available(mid), 300)
                r = self.move(d["id"], "cancelled")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.body["status"], "cancelled")
                self.assertEqual(r.body["balance"]["available"], 500)
                self.assertEqual(self.get_reward(w["id"])["stock"], 3)
                # Asking again changes nothing; no other move leaves "cancelled".
                again = self.move(d["id"], "cancelled")
                self.assertEqual(again.status, 200, again)
                self.assertEqual(self.available(mid), 500)
                self.assertEqual(self.get_reward(w["id"])["stock"], 3)
                assert_problem(self, self.move(d["id"], "shipped"), 409, "invalid-transition")
        self.assertEqual(self.available(mid), 500)

    def test_issued_codes_only_cancel(self):
        mid = self.member(points=100)
        d = self.redeemed(mid, self.reward(kind="donation", cost_points=100)["id"])
        self.assertEqual(d["status"], "issued")
        assert_problem(self, self.move(d["id"], "shipped"), 409, "invalid-transition")
        assert_problem(self, self.move(d["id"], "delivered"), 409, "invalid-transition")

    def test_patch_validation(self):
        mid = self.member(points=100)
        d = self.redeemed(mid, self.reward(kind="gift", cost_points=10)["id"])
        assert_problem(self, self.move(d["id"], "lost"), 400, "validation", field="status")
        assert_problem(self, self.owner.patch("%s/%d" % (REDEMPTIONS, d["id"]), {}), 400, "validation",
                       field="status")
        assert_problem(self, self.owner.patch("%s/%d" % (REDEMPTIONS, d["id"]), {"status": "shipped", "x": 1}), 400,
                       "validation", field="x")
        assert_problem(self, self.move(999999, "shipped"), 404, "not-found")

    # ----- a member's redemptions

    def test_member_redemptions_page_with_cursor(self):
        mid = self.member(points=1000)
        w = self.reward(cost_points=10)
        made = [self.redeemed(mid, w["id"])["id"] for _ in range(5)]
        other = self.member(points=10)
        self.redeemed(other, w["id"])
        seen, cursor = [], None
        while True:
            r = self.owner.get("%s/members/%d/redemptions?limit=2%s" % (API, mid, "&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            seen += [d["id"] for d in r.body["items"]]
            self.assertTrue(all(d["member_id"] == mid for d in r.body["items"]))
            cursor = r.body["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, made)
        assert_problem(self, self.owner.get("%s/members/999999/redemptions" % API), 404, "not-found")
        assert_problem(self, self.owner.get("%s/members/%d/redemptions?cursor=zz" % (API, mid)), 400)

    # ----- tiers allowed

    def test_rewards_limited_to_tiers(self):
        entry = self.owner.post(TIERS, {"name_en": "Member", "name_fa": "عضو", "rank": 0})
        self.assertEqual(entry.status, 201, entry)
        top = self.owner.post(TIERS, {"name_en": "Top", "name_fa": "برتر", "rank": 9, "threshold": 10 ** 12})
        self.assertEqual(top.status, 201, top)
        mid = self.member(points=1000)
        for_top = self.reward(tiers=[top.body["id"]])
        assert_problem(self, self.redeem(mid, for_top["id"]), 409, "tier-not-allowed", field="member_id")
        for_all = self.reward(tiers=[entry.body["id"], top.body["id"]])
        self.assertEqual(self.redeem(mid, for_all["id"]).status, 201)
        self.assertEqual(self.get_reward(for_all["id"])["tiers"], [entry.body["id"], top.body["id"]])

    # ----- races

    def race(self, calls):
        """Runs calls (functions returning a Response) at once from threads; returns the responses."""
        barrier = threading.Barrier(len(calls))
        out = [None] * len(calls)

        def run(i):
            barrier.wait()
            out[i] = calls[i]()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    def test_concurrent_redemptions_never_overspend(self):
        mid = self.member(points=3 * 250)
        w = self.reward(cost_points=250, stock=10)
        results = self.race([lambda i=i: self.redeem(mid, w["id"], key="race-%d" % i) for i in range(20)])
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses.count(201), 3, results)
        self.assertEqual(statuses.count(409), 17, results)
        for r in results:
            if r.status == 409:
                assert_problem(self, r, 409, "insufficient-points", field="points")
            else:
                self.assertGreaterEqual(r.body["balance"]["available"], 0)
        self.assertEqual(sorted(r.body["balance"]["available"] for r in results if r.status == 201), [0, 250, 500])
        self.assertEqual(self.available(mid), 0)
        self.assertEqual(self.get_reward(w["id"])["stock"], 7)
        listed = self.owner.get("%s/members/%d/redemptions" % (API, mid)).body["items"]
        self.assertEqual(len(listed), 3)
        self.assertEqual(len({d["code"] for d in listed}), 3)

    def test_concurrent_redemptions_never_oversell_stock(self):
        members = [self.member(points=100) for _ in range(12)]
        w = self.reward(cost_points=100, stock=4)
        results = self.race([lambda m=m: self.redeem(m, w["id"]) for m in members])
        self.assertEqual([r.status for r in results].count(201), 4, results)
        for r in results:
            if r.status != 201:
                assert_problem(self, r, 409, "out-of-stock")
        self.assertEqual(self.get_reward(w["id"])["stock"], 0)
        spent = [m for m in members if self.available(m) == 0]
        self.assertEqual(len(spent), 4)

    def test_ledger_verifies_after_redemptions_and_cancellations(self):
        mid = self.member(points=1000)
        w = self.reward(kind="gift", cost_points=300, stock=5)
        a = self.redeemed(mid, w["id"])
        self.redeemed(mid, w["id"])
        self.assertEqual(self.move(a["id"], "cancelled").status, 200)
        self.assertEqual(self.available(mid), 700)
        p = self.server.cli("verify")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class ReplayAfterADayTest(Helpers, harness.ServerCase):
    """The stored first answer is forgotten after a day; the redemption itself still answers a replay."""

    server_kwargs = {"clock_ms": 1772323200000}  # 2026-03-01T00:00:00Z

    def stored_answers(self, mid):
        path = os.path.join(self.server.data_dir, "bashgah.db")
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            return con.execute("SELECT count(*) FROM idempotency WHERE principal = ?",
                               ("redemption:member:%d" % mid,)).fetchone()[0]
        finally:
            con.close()

    def test_replay_after_the_stored_answer_is_forgotten(self):
        mid = self.member(points=500)
        w = self.reward(kind="gift", cost_points=200, stock=3)
        first = self.redeemed(mid, w["id"], key="old-order")
        self.assertEqual(self.stored_answers(mid), 1)
        self.assertEqual(self.move(first["id"], "shipped").status, 200)
        self.server.advance(2 * 86400 * 1000)
        deadline = time.monotonic() + 10
        while self.stored_answers(mid) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.stored_answers(mid), 0)
        again = self.redeem(mid, w["id"], key="old-order")
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        for k in ("id", "member_id", "reward_id", "points", "code", "created_at"):
            self.assertEqual(again.body[k], first[k], k)
        self.assertEqual(again.body["status"], "shipped")  # the redemption as it is now
        self.assertEqual(again.body["balance"]["available"], 300)
        self.assertEqual(self.available(mid), 300)
        self.assertEqual(self.get_reward(w["id"])["stock"], 2)
        other = self.reward(cost_points=1)
        assert_problem(self, self.redeem(mid, other["id"], key="old-order"), 409, "idempotency-conflict")


if __name__ == "__main__":
    harness.main()
