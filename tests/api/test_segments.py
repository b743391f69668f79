"""API tests for segments: the live count of filters over members built through the API (purchases, birthdays in
both calendars, attributes, consent, locale), filter errors naming the bad node's path, dynamic and static segments
(create, get with count, list, patch, delete, audit), member pages with cursors, CSV export and upload, external
references, idempotent creation and who may do what. The server runs on a test clock so that "within N days" and
birthdays are known."""

import csv
import io
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, urlquote  # noqa: E402

SEGMENTS = API + "/segments"
MEMBERS = API + "/members"
DAY_MS = 86400 * 1000
T0 = 1772323200000  # 2026-03-01T00:00:00Z: 03:30 on 1 March in Tehran, 10 Esfand 1404


class SegmentCase(harness.ServerCase):
    """Four members with known purchases, birthdays and attributes; the clock at T0 afterwards."""

    server_kwargs = {"clock_ms": T0 - 40 * DAY_MS}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.owner

        def member(**body):
            r = c.post(MEMBERS, body)
            assert r.status == 201, r
            return r.body["id"]

        def buy(mid, amount):
            r = c.post(API + "/transactions", {"type": "purchase", "store": "S1", "txn_id": "T-%d" % harness.uniq(),
                                                "member_id": mid, "amount": amount})
            assert r.status == 201, r

        cls.a = member(given_name="Ali", external_ref="REF-A", locale="fa", consent={"sms": True},
                       birthday={"date": "1990-03-05", "calendar": "gregorian"}, attributes={"city": "Tehran"})
        cls.b = member(given_name="Bahar", external_ref="REF-B", locale="en",
                       birthday={"date": "1370-12-12", "calendar": "persian"}, attributes={"city": "Shiraz"})
        cls.c = member(given_name="Cyrus", external_ref="REF-C", locale="fa")
        cls.d = member(given_name="Dara", locale="fa", birthday={"date": "1990-04-01", "calendar": "gregorian"},
                       attributes={"city": "Tehran", "vip": True})
        buy(cls.b, 5000000)                   # 40 days before T0
        cls.server.set_clock(T0 - 5 * DAY_MS)
        buy(cls.a, 1000000)
        buy(cls.a, 1000000)                   # 5 days before T0
        buy(cls.d, 300000)
        cls.server.set_clock(T0)
        # Classes at T0 at once: a and d are new (first purchase 5 days ago), b occasional (one purchase 40 days
        # ago: R 1 + F 2 + M 5 among three customers is below main's 12), c a prospect.
        r = c.post(API + "/classes/recompute")
        assert r.status == 200, r
        cls.everyone = sorted([cls.a, cls.b, cls.c, cls.d])

    def count(self, flt, client=None):
        r = (client or self.owner).post(SEGMENTS + "/count", {"filter": flt})
        self.assertEqual(r.status, 200, r)
        return r.body["count"]

    def create(self, body, client=None, status=201):
        r = (client or self.owner).post(SEGMENTS, body)
        self.assertEqual(r.status, status, r)
        return r.body

    def member_ids(self, sid, limit=500):
        ids, cursor = [], None
        for _ in range(100):
            q = "?limit=%d" % limit + ("&cursor=" + urlquote(cursor) if cursor else "")
            r = self.owner.get("%s/%d/members%s" % (SEGMENTS, sid, q))
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.body["items"]), limit)
            ids += [m["id"] for m in r.body["items"]]
            cursor = r.body["next_cursor"]
            if not cursor:
                return ids
        self.fail("pages never ended")

    def export_ids(self, sid):
        r = self.owner.get("%s/%d/export" % (SEGMENTS, sid))
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers.get("Content-Type").startswith("text/csv"), r)
        rows = list(csv.DictReader(io.StringIO(r.body)))
        return [int(row["id"]) for row in rows]


class CountTest(SegmentCase):

    def test_counts_by_each_kind_of_condition(self):
        cases = [
            ({"field": "spend", "op": "gte", "value": 2000000}, 2),             # a (2,000,000), b
            ({"field": "purchase_count", "op": "gte", "value": 2}, 1),          # a
            ({"field": "last_purchase", "op": "within_days", "value": 30}, 2),  # a, d
            ({"field": "last_purchase", "op": "before", "value": "2026-02-01"}, 1),  # b on 20 January
            ({"not": {"field": "last_purchase", "op": "within_days", "value": 30}}, 2),  # b, and c who never bought
            ({"field": "last_purchase", "op": "exists", "value": False}, 1),    # c
            ({"field": "birthday", "op": "within_days", "value": 7}, 2),        # a (5 March), b (12 Esfand)
            ({"field": "birthday", "op": "within_days", "value": 1}, 0),
            ({"field": "attributes.city", "op": "eq", "value": "Tehran"}, 2),   # a, d
            ({"field": "attributes.vip", "op": "eq", "value": True}, 1),        # d
            ({"field": "consent_sms", "op": "eq", "value": True}, 1),           # a
            ({"field": "locale", "op": "eq", "value": "en"}, 1),                # b
            ({"field": "class", "op": "eq", "value": "prospect"}, 1),           # c
            ({"field": "class", "op": "eq", "value": "new"}, 2),                # a, d
            ({"field": "class", "op": "in", "value": ["occasional", "main"]}, 1),  # b
            ({"field": "joined", "op": "after", "value": "2026-01-01"}, 4),
            ({"all": []}, 4),
        ]
        for flt, want in cases:
            self.assertEqual(self.count(flt), want, flt)

    def test_three_conditions_with_any(self):
        flt = {"all": [{"field": "attributes.city", "op": "eq", "value": "Tehran"},
                       {"any": [{"field": "spend", "op": "gte", "value": 1000000},
                                {"field": "attributes.vip", "op": "exists", "value": True}]},
                       {"field": "locale", "op": "in", "value": ["fa"]}]}
        self.assertEqual(self.count(flt), 2)  # a by spend, d by vip
        flt["all"][1]["any"].pop()
        self.assertEqual(self.count(flt), 1)

    def test_errors_name_the_path_of_the_bad_node(self):
        bad = {"all": [{"field": "spend", "op": "gte", "value": 1},
                       {"field": "class", "op": "eq", "value": "main"},
                       {"field": "spend", "op": "like", "value": 1}]}
        assert_problem(self, self.owner.post(SEGMENTS + "/count", {"filter": bad}), 400, "validation",
                       "filter.all[2].op", "must be one of")
        r = self.owner.post(SEGMENTS + "/count", {"filter": {"any": [{"field": "rfm_r", "op": "eq", "value": 9},
                                                                     {"field": "nope", "op": "eq", "value": 1}]}})
        body = assert_problem(self, r, 400, "validation", "filter.any[0].value", "1 to 5")
        self.assertIn("filter.any[1].field", [e["field"] for e in body["errors"]])
        assert_problem(self, self.owner.post(SEGMENTS + "/count", {}), 400, "validation", "filter")
        assert_problem(self, self.owner.post(SEGMENTS + "/count", {"filter": {}, "x": 1}), 400, "validation", "x")


class DynamicSegmentTest(SegmentCase):

    def test_create_get_list_patch_delete_with_audit(self):
        flt = {"field": "attributes.city", "op": "eq", "value": "Tehran"}
        g = self.create({"name": "Tehran", "description": "members in Tehran", "filter": flt})
        self.assertEqual((g["kind"], g["filter"], g["name"]), ("dynamic", flt, "Tehran"))
        r = self.owner.get("%s/%d" % (SEGMENTS, g["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["count"], 2)
        self.assertIn(g["id"], [s["id"] for s in self.owner.get(SEGMENTS).body["items"]])
        self.assertEqual(self.member_ids(g["id"]), sorted([self.a, self.d]))
        r = self.owner.patch("%s/%d" % (SEGMENTS, g["id"]), {"filter": {"field": "locale", "op": "eq", "value": "fa"}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.owner.get("%s/%d" % (SEGMENTS, g["id"])).body["count"], 3)
        assert_problem(self, self.owner.patch("%s/%d" % (SEGMENTS, g["id"]), {"members": [1]}), 400, "validation",
                       "members")
        assert_problem(self, self.owner.patch("%s/%d" % (SEGMENTS, g["id"]), {"filter": {"any": []}}), 400,
                       "validation", "filter.any")
        r = self.owner.delete("%s/%d" % (SEGMENTS, g["id"]))
        self.assertEqual(r.status, 204, r)
        assert_problem(self, self.owner.get("%s/%d" % (SEGMENTS, g["id"])), 404, "not-found")
        audit = self.owner.get(API + "/audit?limit=500").body["items"]
        actions = [a["action"] for a in audit if a["target"] == {"type": "segment", "id": g["id"]}]
        self.assertEqual(actions, ["segment.create", "segment.update", "segment.delete"])

    def test_members_page_with_cursors_and_export(self):
        g = self.create({"name": "all", "filter": {"all": []}})
        self.assertEqual(self.member_ids(g["id"], limit=1), self.everyone)
        self.assertEqual(self.member_ids(g["id"], limit=3), self.everyone)
        self.assertEqual(self.export_ids(g["id"]), self.everyone)
        g = self.create({"name": "buyers 30d", "filter": {"field": "last_purchase", "op": "within_days", "value": 30}})
        self.assertEqual(self.export_ids(g["id"]), sorted([self.a, self.d]))

    def test_validation_of_the_body(self):
        assert_problem(self, self.owner.post(SEGMENTS, {"filter": {"all": []}}), 400, "validation", "name")
        assert_problem(self, self.owner.post(SEGMENTS, {"name": "x"}), 400, "validation", "filter")
        assert_problem(self, self.owner.post(SEGMENTS, {"name": "x", "kind": "mixed"}), 400, "validation", "kind")
        assert_problem(self, self.owner.post(SEGMENTS, {"name": "x", "filter": {"field": "spend"}}), 400,
                       "validation", "filter.op")
        assert_problem(self, self.owner.get(SEGMENTS + "/999999/members"), 404, "not-found")

    def test_idempotent_create(self):
        headers = {"Idempotency-Key": "seg-%d" % harness.uniq()}
        body = {"name": "once", "filter": {"all": []}}
        r1 = self.owner.post(SEGMENTS, body, headers=headers)
        r2 = self.owner.post(SEGMENTS, body, headers=headers)
        self.assertEqual((r1.status, r2.status), (201, 201))
        self.assertEqual(r1.body["id"], r2.body["id"])
        self.assertEqual(r2.headers.get("Idempotent-Replayed"), "true")


class StaticSegmentTest(SegmentCase):

    def test_ids_unknown_ones_counted(self):
        g = self.create({"name": "picked", "members": [self.a, self.c, 999999, self.a]})
        self.assertEqual((g["kind"], g["member_count"], g["not_found"]), ("static", 2, 2))
        self.assertEqual(self.member_ids(g["id"]), sorted([self.a, self.c]))
        self.assertEqual(self.owner.get("%s/%d" % (SEGMENTS, g["id"])).body["count"], 2)
        assert_problem(self, self.owner.patch("%s/%d" % (SEGMENTS, g["id"]), {"filter": {"all": []}}), 400,
                       "validation", "filter")

    def test_external_refs_and_csv_upload(self):
        g = self.create({"name": "refs", "external_refs": ["REF-B", "REF-C", "NOPE"]})
        self.assertEqual((g["member_count"], g["not_found_refs"]), (2, ["NOPE"]))
        self.assertEqual(self.export_ids(g["id"]), sorted([self.b, self.c]))
        r = self.owner.post("%s/%d/members" % (SEGMENTS, g["id"]), raw=("id\n%d\n%d\n" % (self.d, self.a)).encode(),
                            content_type="text/csv")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["member_count"], 2)
        self.assertEqual(self.member_ids(g["id"]), sorted([self.a, self.d]))
        r = self.owner.post("%s/%d/members" % (SEGMENTS, g["id"]), raw=b"name,external_ref\nx,REF-A\n",
                            content_type="text/csv")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.member_ids(g["id"]), [self.a])
        assert_problem(self, self.owner.post("%s/%d/members" % (SEGMENTS, g["id"]), raw=b"phone\n1\n",
                                             content_type="text/csv"), 400, "validation", "row")
        assert_problem(self, self.owner.post("%s/%d/members" % (SEGMENTS, g["id"]), raw=b"id\nabc\n",
                                             content_type="text/csv"), 400, "validation", "row")
        assert_problem(self, self.owner.post("%s/%d/members" % (SEGMENTS, g["id"]),
                                             raw=b"external_ref\n" + b"x" * 65 + b"\n", content_type="text/csv"),
                       400, "validation", "row", "at most 64 bytes")
        self.assertEqual(self.member_ids(g["id"]), [self.a])  # a refused file changes nothing

    def test_erased_members_leave_the_segment(self):
        e = self.owner.post(MEMBERS, {"given_name": "Gone"}).body["id"]
        g = self.create({"name": "with gone", "members": [e, self.b]})
        self.assertEqual(g["member_count"], 2)
        self.assertEqual(self.owner.delete("%s/%d" % (MEMBERS, e)).status, 204)
        self.assertEqual(self.member_ids(g["id"]), [self.b])


class RolesTest(SegmentCase):

    def test_who_may_read_and_write(self):
        analyst = self.server.client(self.server.apikey("analyst"))
        marketer = self.server.client(self.server.apikey("marketer"))
        cashier = self.server.client(self.server.apikey("cashier"))
        g = self.create({"name": "m", "filter": {"all": []}}, client=marketer)
        self.assertEqual(self.count({"all": []}, client=analyst), 4)
        self.assertEqual(analyst.get("%s/%d" % (SEGMENTS, g["id"])).status, 200)
        assert_problem(self, analyst.post(SEGMENTS, {"name": "a", "filter": {"all": []}}), 403)
        assert_problem(self, analyst.delete("%s/%d" % (SEGMENTS, g["id"])), 403)
        assert_problem(self, cashier.get(SEGMENTS), 403)
        assert_problem(self, cashier.post(SEGMENTS + "/count", {"filter": {"all": []}}), 403)
        self.assertEqual(marketer.delete("%s/%d" % (SEGMENTS, g["id"])).status, 204)


if __name__ == "__main__":
    harness.main()
