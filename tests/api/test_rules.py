"""API tests for earning rules: create/get/patch/list/delete, validation errors naming fields, roles, the audit log,
Idempotency-Key replays and the limit of active rules per event."""

import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, RFC3339_MS, assert_problem, uniq  # noqa: E402

RULES = API + "/rules"
AUDIT = API + "/audit"
RULES_MAX = 64


def per_amount(**extra):
    d = {"kind": "per_amount", "per_amount_minor": 10000}
    d.update(extra)
    return d


def audit_all(client):
    items, cursor = [], None
    for _ in range(1000):
        r = client.get(AUDIT + "?limit=500" + ("&cursor=" + harness.urlquote(cursor) if cursor else ""))
        if r.status != 200:
            raise AssertionError("audit list failed: %r" % r)
        items.extend(r.body["items"])
        cursor = r.body.get("next_cursor")
        if not cursor:
            return items
    raise AssertionError("audit list never ended")


def list_all(client, query=""):
    items, cursor = [], None
    for _ in range(1000):
        q = "limit=7" + ("&" + query if query else "") + ("&cursor=" + harness.urlquote(cursor) if cursor else "")
        r = client.get(RULES + "?" + q)
        if r.status != 200:
            raise AssertionError("rule list failed: %r" % r)
        items.extend(r.body["items"])
        cursor = r.body.get("next_cursor")
        if not cursor:
            return items
    raise AssertionError("rule list never ended")


class RulesTest(harness.ServerCase):

    def create(self, body, client=None, headers=None):
        r = (client or self.owner).post(RULES, body, headers=headers)
        self.assertEqual(r.status, 201, r)
        return r.body

    def rule_body(self, **extra):
        body = {"name": "rule %d" % uniq(), "priority": 10, "definition": per_amount()}
        body.update(extra)
        return body

    # ----- create, get, patch, delete

    def test_create_returns_the_rule_in_normal_form_with_location(self):
        body = {
            "name": "Double dairy on Thursday nights %d" % uniq(),
            "event": "purchase",
            "priority": 20,
            "combine": "best",
            "starts_at": "2026-03-21T00:00:00+03:30",
            "ends_at": "2026-04-02T00:00:00Z",
            "definition": {"kind": "multiplier", "multiplier_permille": 2000, "categories": ["dairy"],
                           "days": ["thu"], "hours": {"from": 18, "to": 23}, "tiers": [1, 2],
                           "cap": {"period": "day", "points": 500}},
        }
        r = self.owner.post(RULES, body)
        self.assertEqual(r.status, 201, r)
        rule = r.body
        self.assertIsInstance(rule["id"], int)
        loc = r.headers.get("Location")
        self.assertTrue(loc and loc.endswith("%s/%d" % (RULES, rule["id"])), loc)
        self.assertEqual(rule["name"], body["name"])
        self.assertEqual(rule["event"], "purchase")
        self.assertEqual(rule["priority"], 20)
        self.assertEqual(rule["combine"], "best")
        self.assertIs(rule["active"], True)
        self.assertEqual(rule["starts_at"], "2026-03-20T20:30:00.000Z")
        self.assertEqual(rule["ends_at"], "2026-04-02T00:00:00.000Z")
        want = dict(body["definition"])
        want["rounding"] = "floor"  # the default, written out
        self.assertEqual(rule["definition"], want)
        self.assertRegex(rule["created_at"], RFC3339_MS)
        self.assertEqual(rule["created_at"], rule["updated_at"])
        path = re.sub(r"^https?://[^/]+", "", loc)
        g = self.owner.get(path)
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.body, rule)

    def test_defaults_on_create(self):
        rule = self.create({"name": "plain %d" % uniq(), "priority": 5, "definition": per_amount()})
        self.assertEqual(rule["event"], "purchase")
        self.assertEqual(rule["combine"], "stack")
        self.assertIs(rule["active"], True)
        self.assertIsNone(rule["starts_at"])
        self.assertIsNone(rule["ends_at"])
        self.assertEqual(rule["definition"], {"kind": "per_amount", "points": 1, "per_amount_minor": 10000,
                                              "rounding_scope": "total", "rounding": "floor"})

    def test_get_body_sent_back_without_read_only_fields_recreates_the_rule(self):
        rule = self.create(self.rule_body(definition=per_amount(rounding="nearest", stores=["S1"])))
        body = {k: v for k, v in rule.items() if k not in ("id", "created_at", "updated_at")}
        again = self.create(body)
        for k in body:
            self.assertEqual(again[k], rule[k], k)

    def test_event_bonuses(self):
        joined = self.create({"name": "welcome %d" % uniq(), "event": "joined", "priority": 1,
                              "definition": {"kind": "bonus", "points": 100}})
        self.assertEqual(joined["definition"], {"kind": "bonus", "points": 100})
        custom = self.create({"name": "review %d" % uniq(), "event": "custom", "priority": 1,
                              "definition": {"kind": "bonus", "points": 20, "event_name": "app_review",
                                             "cap": {"period": "month", "points": 40}}})
        self.assertEqual(custom["definition"]["event_name"], "app_review")

    def test_patch_is_a_merge_and_definition_is_replaced_whole(self):
        rule = self.create(self.rule_body(definition=per_amount(stores=["S1"])))
        url = "%s/%d" % (RULES, rule["id"])
        r = self.owner.patch(url, {"priority": 99, "ends_at": "2030-01-01T00:00:00Z"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["priority"], 99)
        self.assertEqual(r.body["name"], rule["name"])
        self.assertEqual(r.body["definition"], rule["definition"])
        self.assertEqual(r.body["ends_at"], "2030-01-01T00:00:00.000Z")
        self.assertEqual(r.body["created_at"], rule["created_at"])
        r = self.owner.patch(url, {"ends_at": None, "definition": {"kind": "bonus", "points": 7}})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.body["ends_at"])
        self.assertEqual(r.body["definition"], {"kind": "bonus", "points": 7})
        self.assertEqual(self.owner.get(url).body, r.body)

    def test_delete_deactivates_and_keeps_the_rule_readable(self):
        rule = self.create(self.rule_body())
        url = "%s/%d" % (RULES, rule["id"])
        r = self.owner.delete(url)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.raw, b"")
        g = self.owner.get(url)
        self.assertEqual(g.status, 200, g)
        self.assertIs(g.body["active"], False)
        self.assertEqual(g.body["definition"], rule["definition"])
        self.assertEqual(self.owner.delete(url).status, 204)  # again: nothing changes
        # It can be switched on again.
        r = self.owner.patch(url, {"active": True})
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.body["active"], True)

    def test_missing_rule_is_404(self):
        for r in (self.owner.get(RULES + "/987654321"),
                  self.owner.patch(RULES + "/987654321", {"priority": 1}),
                  self.owner.delete(RULES + "/987654321")):
            assert_problem(self, r, 404, "not-found")

    # ----- list

    def test_list_filters_by_event_and_active_and_pages(self):
        made = [self.create({"name": "survey %d" % uniq(), "event": "survey_answered", "priority": i,
                             "definition": {"kind": "bonus", "points": 5}}) for i in range(3)]
        off = self.create({"name": "survey off %d" % uniq(), "event": "survey_answered", "priority": 9,
                           "active": False, "definition": {"kind": "bonus", "points": 5}})
        everything = list_all(self.owner)
        ids = [x["id"] for x in everything]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(ids), len(set(ids)))
        surveys = list_all(self.owner, "event=survey_answered")
        self.assertTrue(all(x["event"] == "survey_answered" for x in surveys))
        for m in made + [off]:
            self.assertIn(m["id"], [x["id"] for x in surveys])
        active = list_all(self.owner, "event=survey_answered&active=true")
        self.assertNotIn(off["id"], [x["id"] for x in active])
        inactive = list_all(self.owner, "event=survey_answered&active=false")
        self.assertEqual([x["id"] for x in inactive if x["id"] == off["id"]], [off["id"]])
        self.assertTrue(all(x["active"] is False for x in inactive))
        r = self.owner.get(RULES + "?limit=1")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.body["items"]), 1)
        self.assertIsInstance(r.body["next_cursor"], str)

    def test_list_query_errors_name_the_parameter(self):
        assert_problem(self, self.owner.get(RULES + "?event=birthday"), 400, "validation", field="event")
        assert_problem(self, self.owner.get(RULES + "?active=yes"), 400, "validation", field="active")
        assert_problem(self, self.owner.get(RULES + "?limit=0"), 400, "validation", field="limit")
        r = self.owner.get(RULES + "?colour=red")
        self.assertEqual(r.status, 400, r)

    # ----- validation

    def test_validation_errors_name_the_field(self):
        cases = [
            ({"name": "x", "priority": 1, "definition": {"kind": "per_amount"}}, "definition.per_amount_minor"),
            (self.rule_body(definition=per_amount(per_amount_minor=0)), "definition.per_amount_minor"),
            (self.rule_body(definition=per_amount(colour="red")), "definition.colour"),
            (self.rule_body(definition={"kind": "gift"}), "definition.kind"),
            (self.rule_body(definition=per_amount(rounding="up")), "definition.rounding"),
            (self.rule_body(definition={"kind": "multiplier", "multiplier_permille": 900}),
             "definition.multiplier_permille"),
            (self.rule_body(definition={"kind": "bonus", "points": 5, "hours": {"from": 9, "to": 99}}),
             "definition.hours.to"),
            (self.rule_body(definition={"kind": "bonus", "points": 5, "days": ["someday"]}), "definition.days[0]"),
            (self.rule_body(definition={"kind": "bonus", "points": 5, "cap": {"period": "year", "points": 1}}),
             "definition.cap.period"),
            (self.rule_body(definition={"kind": "bonus", "points": 5, "tiers": ["gold"]}), "definition.tiers[0]"),
            (self.rule_body(event="joined"), "definition.kind"),
            (self.rule_body(event="joined", definition={"kind": "bonus", "points": 5, "first_purchase": True}),
             "definition.first_purchase"),
            (self.rule_body(definition="double"), "definition"),
            (self.rule_body(colour="red"), "colour"),
            (self.rule_body(id=5), "id"),
            (self.rule_body(combine="max"), "combine"),
            (self.rule_body(priority="high"), "priority"),
            (self.rule_body(name=""), "name"),
            (self.rule_body(event="birthday"), "event"),
            (self.rule_body(starts_at="2026-05-01T00:00:00Z", ends_at="2026-04-01T00:00:00Z"), "ends_at"),
            (self.rule_body(starts_at="next week"), "starts_at"),
            ({"name": "x", "priority": 1}, "definition"),
            ({"priority": 1, "definition": per_amount()}, "name"),
            ({"name": "x", "definition": per_amount()}, "priority"),
        ]
        before = len(list_all(self.owner))
        for body, field in cases:
            with self.subTest(field=field, body=body):
                r = self.owner.post(RULES, body)
                assert_problem(self, r, 400, "validation", field=field)
                self.assertIn(field, [e["field"] for e in r.body["errors"]])
        self.assertEqual(len(list_all(self.owner)), before)  # nothing was written
        assert_problem(self, self.owner.post(RULES, [1, 2]), 400)
        assert_problem(self, self.owner.post(RULES, raw="{not json"), 400)

    def test_patch_validation_is_checked_against_the_stored_rule(self):
        rule = self.create(self.rule_body())
        url = "%s/%d" % (RULES, rule["id"])
        r = self.owner.patch(url, {"event": "joined"})  # a per-amount rule cannot earn on joining
        assert_problem(self, r, 400, "validation", field="definition.kind")
        r = self.owner.patch(url, {"ends_at": "2001-01-01T00:00:00Z", "starts_at": "2002-01-01T00:00:00Z"})
        assert_problem(self, r, 400, "validation", field="ends_at")
        r = self.owner.patch(url, {"created_at": "2001-01-01T00:00:00Z"})
        assert_problem(self, r, 400, "validation", field="created_at")
        self.assertEqual(self.owner.get(url).body, rule)

    # ----- roles

    def test_roles(self):
        cashier = self.server.client(self.server.apikey("cashier"))
        assert_problem(self, cashier.post(RULES, self.rule_body()), 403, "forbidden")
        rule = self.create(self.rule_body())
        url = "%s/%d" % (RULES, rule["id"])
        self.assertEqual(cashier.get(url).status, 200)
        self.assertEqual(cashier.get(RULES).status, 200)
        assert_problem(self, cashier.patch(url, {"priority": 1}), 403, "forbidden")
        assert_problem(self, cashier.delete(url), 403, "forbidden")
        analyst = self.server.client(self.server.apikey("analyst"))
        self.assertEqual(analyst.get(url).status, 200)
        assert_problem(self, analyst.post(RULES, self.rule_body()), 403, "forbidden")
        marketer = self.server.client(self.server.apikey("marketer"))
        made = self.create(self.rule_body(), client=marketer)
        self.assertEqual(marketer.patch("%s/%d" % (RULES, made["id"]), {"priority": 3}).status, 200)
        self.assertEqual(marketer.delete("%s/%d" % (RULES, made["id"])).status, 204)
        anonymous = self.server.client()
        assert_problem(self, anonymous.get(RULES), 401)

    # ----- audit

    def test_every_write_is_audited(self):
        name = "rule-auditor-%d" % uniq()
        mgr = self.server.client(self.server.apikey("manager", name))
        rule = self.create(self.rule_body(), client=mgr)
        url = "%s/%d" % (RULES, rule["id"])
        self.assertEqual(mgr.patch(url, {"priority": 42}).status, 200)
        self.assertEqual(mgr.delete(url).status, 204)
        self.assertEqual(mgr.delete(url).status, 204)  # already inactive: no second entry
        mine = [e for e in audit_all(self.owner) if e["target"] == {"type": "rule", "id": rule["id"]}]
        self.assertEqual([e["action"] for e in mine], ["rule.create", "rule.update", "rule.delete"])
        create, update, delete = mine
        for e in mine:
            self.assertEqual(e["actor"]["kind"], "apikey")
            self.assertEqual(e["actor"]["name"], name)
            self.assertRegex(e["at"], RFC3339_MS)
        self.assertIsNone(create["before"])
        self.assertEqual(create["after"], rule)
        self.assertEqual(update["before"]["priority"], 10)
        self.assertEqual(update["after"]["priority"], 42)
        self.assertIs(delete["before"]["active"], True)
        self.assertIs(delete["after"]["active"], False)
        # A refused write leaves no entry.
        self.assertEqual(mgr.patch(url, {"priority": -1}).status, 400)
        again = [e for e in audit_all(self.owner) if e["target"] == {"type": "rule", "id": rule["id"]}]
        self.assertEqual(len(again), 3)

    # ----- idempotency

    def test_idempotency_key_replays_the_create(self):
        key = "rule-create-%d" % uniq()
        body = self.rule_body()
        first = self.owner.post(RULES, body, headers={"Idempotency-Key": key})
        self.assertEqual(first.status, 201, first)
        again = self.owner.post(RULES, body, headers={"Idempotency-Key": key})
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.headers.get("Location"), first.headers.get("Location"))
        other = dict(body, priority=11)
        assert_problem(self, self.owner.post(RULES, other, headers={"Idempotency-Key": key}), 409)
        same_name = [x for x in list_all(self.owner) if x["name"] == body["name"]]
        self.assertEqual(len(same_name), 1)

    # ----- limits

    def test_an_event_holds_at_most_64_active_rules(self):
        event = "profile_completed"
        have = len(list_all(self.owner, "event=%s&active=true" % event))
        made = []
        for i in range(RULES_MAX - have):
            made.append(self.create({"name": "profile %d" % i, "event": event, "priority": i,
                                     "definition": {"kind": "bonus", "points": 1}}))
        body = {"name": "one too many", "event": event, "priority": 1, "definition": {"kind": "bonus", "points": 1}}
        assert_problem(self, self.owner.post(RULES, body), 409, "limit", field="event")
        # An inactive rule does not count, and cannot be switched on while the event is full.
        off = self.create(dict(body, active=False))
        assert_problem(self, self.owner.patch("%s/%d" % (RULES, off["id"]), {"active": True}), 409, "limit")
        self.assertEqual(self.owner.delete("%s/%d" % (RULES, made[0]["id"])).status, 204)
        r = self.owner.patch("%s/%d" % (RULES, off["id"]), {"active": True})
        self.assertEqual(r.status, 200, r)
        for m in made[1:] + [off]:
            self.assertEqual(self.owner.delete("%s/%d" % (RULES, m["id"])).status, 204)


if __name__ == "__main__":
    harness.main()
