"""API tests for webhooks: subscriptions by event type, each delivery signed (verified by a real HTTP receiver on
loopback, tests/api/webhook_peer.py), written in the commit of its cause and delivered by the outbox's worker with
retries and backoff, a delivery log per subscription, replay by hand; a receiver that fails, answers slowly, too
much or not in HTTP never holds up the others; URLs that are not http(s) or that point at internal addresses are
refused when saved and again when sent, unless the owner's --webhook-allow-private setting is on."""

import json
import os
import sqlite3
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, uniq  # noqa: E402
from webhook_peer import WebhookPeer, signature_ok  # noqa: E402

HOOKS = API + "/webhooks"
FAST = ["--delivery-poll-ms", "20", "--delivery-backoff-ms", "50", "--delivery-backoff-max-ms", "200",
        "--delivery-attempts", "4", "--webhook-timeout-ms", "1000"]


def log_when(client, hook_id, pred, timeout=15.0, limit=50):
    """The subscription's delivery log once pred(items) holds (or the last one read)."""
    end = time.time() + timeout
    items = []
    while time.time() < end:
        r = client.get("%s/%d/deliveries?limit=%d" % (HOOKS, hook_id, limit))
        assert r.status == 200, r
        items = r.body["items"]
        if pred(items):
            return items
        time.sleep(0.03)
    return items


class HookCase(harness.ServerCase):
    server_kwargs = {"extra_args": FAST + ["--webhook-allow-private"]}

    @classmethod
    def setUpClass(cls):
        cls.peer = WebhookPeer().start()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.peer.stop()

    def subscribe(self, events, path=None, **extra):
        path = path or "/hook/%d" % uniq()
        body = {"url": self.peer.url(path), "events": events}
        body.update(extra)
        r = self.owner.post(HOOKS, body)
        self.assertEqual(r.status, 201, r)
        self.peer.endpoint(path).secret = r.body["secret"]
        return r.body, path

    def member(self, **extra):
        body = {"given_name": "Hook%d" % uniq(), "email": "h%d@example.org" % uniq()}
        body.update(extra)
        r = self.owner.post(API + "/members", body)
        self.assertEqual(r.status, 201, r)
        return r.body


class DeliveryTest(HookCase):

    def test_a_new_member_is_delivered_signed_once_with_its_event(self):
        hook, path = self.subscribe(["member.created"], description="CRM")
        self.assertTrue(hook["secret"].startswith("whsec_"), hook)
        self.assertEqual(hook["events"], ["member.created"])
        m = self.member()
        got = self.peer.wait(path, 1)
        self.assertEqual(len(got), 1, got)
        d = got[0]
        self.assertTrue(d["verified"], d)
        self.assertEqual(d["body"]["type"], "member.created")
        self.assertEqual(d["body"]["id"], d["id"])
        self.assertTrue(d["id"].startswith("evt_"), d)
        self.assertEqual(d["body"]["data"]["member"]["id"], m["id"])
        self.assertLess(abs(int(d["timestamp"]) - time.time()), 300)
        # the log says sent, with one attempt
        items = log_when(self.owner, hook["id"], lambda it: it and it[0]["status"] == "sent")
        self.assertEqual(items[0]["status"], "sent", items)
        self.assertEqual(items[0]["attempts"], 1, items)
        self.assertEqual(items[0]["event_id"], d["id"])
        time.sleep(0.2)
        self.assertEqual(len(self.peer.at(path)), 1, "delivered more than once")

    def test_a_signature_made_with_another_secret_does_not_verify(self):
        hook, path = self.subscribe(["member.created"])
        self.peer.endpoint(path).secret = "whsec_" + "QUJD" * 8  # not this subscription's key
        self.member()
        got = self.peer.wait(path, 1)
        self.assertEqual(len(got), 1, got)
        self.assertFalse(got[0]["verified"], "the receiver's check accepts any key: it proves nothing")

    def test_only_the_events_asked_for_are_delivered(self):
        hook, path = self.subscribe(["member.updated"])
        m = self.member()
        time.sleep(0.3)
        self.assertEqual(self.peer.at(path), [], "member.created went to a member.updated subscription")
        r = self.owner.patch("%s/members/%d" % (API, m["id"]), {"family_name": "Changed"})
        self.assertEqual(r.status, 200, r)
        got = self.peer.wait(path, 1)
        self.assertEqual([g["body"]["type"] for g in got], ["member.updated"])
        self.assertEqual(got[0]["body"]["data"]["member"]["family_name"], "Changed")

    def test_a_purchase_and_a_return_are_recorded_events(self):
        hook, path = self.subscribe(["purchase.recorded"])
        m = self.member()
        txn = "T-%d" % uniq()
        r = self.owner.post(API + "/transactions", {"type": "purchase", "store": "S1", "txn_id": txn,
                                                    "member_id": m["id"], "amount": 120000})
        self.assertEqual(r.status, 201, r)
        r = self.owner.post(API + "/transactions", {"type": "return", "store": "S1", "txn_id": "R-%d" % uniq(),
                                                    "original_txn_id": txn, "member_id": m["id"], "amount": 20000})
        self.assertEqual(r.status, 201, r)
        got = self.peer.wait(path, 2)
        data = sorted((g["body"]["data"] for g in got), key=lambda x: x["transaction"])
        self.assertEqual([(x["type"], x["member"], x["amount_minor"]) for x in data],
                         [("purchase", m["id"], 120000), ("return", m["id"], 20000)])
        self.assertTrue(all(g["verified"] for g in got), got)

    def test_an_erasure_is_one_event_without_personal_data(self):
        hook, path = self.subscribe(["member.erased"])
        m = self.member(phone="+989121234%03d" % (uniq() % 1000))
        self.assertEqual(self.owner.delete("%s/members/%d" % (API, m["id"])).status, 204)
        self.assertEqual(self.owner.delete("%s/members/%d" % (API, m["id"])).status, 204)  # again: no second event
        self.peer.wait(path, 1)
        time.sleep(1.0)  # long enough for a second event to come, were there one
        got = self.peer.wait(path, 1)
        self.assertEqual(len(got), 1, got)
        self.assertTrue(got[0]["verified"], got)
        self.assertEqual(got[0]["body"]["type"], "member.erased")
        self.assertEqual(set(got[0]["body"]["data"]), {"member", "erased_at"})
        self.assertEqual(got[0]["body"]["data"]["member"], m["id"])
        raw = json.dumps(got[0]["body"])
        for personal in (m["given_name"], m["email"], m["phone"]):
            self.assertNotIn(personal, raw)

    def test_a_campaigns_changes_of_state_are_events(self):
        hook, path = self.subscribe(["campaign.state_changed"])
        r = self.owner.post(API + "/campaigns", {"name": "Hook %d" % uniq(), "audience": {"kind": "all"},
                                                  "offer": {"kind": "message"}, "budget": {"money": 0, "points": 0}})
        self.assertEqual(r.status, 201, r)
        cid = r.body["id"]
        r = self.owner.post("%s/campaigns/%d/state" % (API, cid), {"to": "running", "reason": "go"})
        self.assertEqual(r.status, 200, r)
        r = self.owner.post("%s/campaigns/%d/state" % (API, cid), {"to": "stopped", "reason": "enough"})
        self.assertEqual(r.status, 200, r)
        got = self.peer.wait(path, 3)
        self.assertTrue(all(g["verified"] and g["body"]["type"] == "campaign.state_changed" for g in got), got)
        moves = sorted(((g["body"]["data"]["from"], g["body"]["data"]["to"], g["body"]["data"]["reason"])
                        for g in got if g["body"]["data"]["campaign"] == cid), key=lambda m: str(m[0]))
        want = [(None, "draft", "created"), ("draft", "running", "go"), ("running", "stopped", "enough")]
        self.assertEqual(moves, sorted(want, key=lambda m: str(m[0])))

    def test_failures_are_retried_with_backoff_and_logged(self):
        hook, path = self.subscribe(["member.created"])
        self.peer.endpoint(path).fail_next = 2
        self.member()
        got = self.peer.wait(path, 3, ok_only=False)
        self.assertEqual([g["status"] for g in got], [503, 503, 200], got)
        self.assertEqual(len({g["id"] for g in got}), 1, "a retry must carry the same webhook-id")
        self.assertTrue(all(g["verified"] for g in got), got)
        gaps = [got[i + 1]["at"] - got[i]["at"] for i in range(2)]
        self.assertTrue(all(g >= 0.02 for g in gaps), gaps)  # backoff: at least half of 50 ms, doubled later
        items = log_when(self.owner, hook["id"], lambda it: it and it[0]["status"] == "sent")
        self.assertEqual((items[0]["status"], items[0]["attempts"]), ("sent", 3), items)
        one = self.owner.get("%s/deliveries/%d" % (HOOKS, items[0]["id"]))
        self.assertEqual(one.status, 200, one)
        self.assertEqual([a["outcome"] for a in one.body["attempts_log"]], ["failed", "failed", "sent"], one)
        self.assertIn("503", one.body["attempts_log"][0]["detail"])
        self.assertEqual(one.body["type"], "member.created")

    def test_attempts_run_out_then_a_replay_delivers_the_same_event(self):
        hook, path = self.subscribe(["member.created"])
        ep = self.peer.endpoint(path)
        ep.status = 500
        self.member()
        items = log_when(self.owner, hook["id"], lambda it: it and it[0]["status"] == "failed")
        self.assertEqual((items[0]["status"], items[0]["reason"], items[0]["attempts"]),
                         ("failed", "attempts_exhausted", 4), items)
        self.assertEqual(len(self.peer.at(path, ok_only=False)), 4)
        ep.status = 200
        r = self.owner.post("%s/deliveries/%d/replay" % (HOOKS, items[0]["id"]))
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.body["replay_of"], items[0]["id"])
        got = self.peer.wait(path, 1)
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0]["id"], items[0]["event_id"], "a replay keeps the event id")
        self.assertTrue(got[0]["verified"])
        items = log_when(self.owner, hook["id"], lambda it: len(it) == 2 and it[0]["status"] == "sent")
        self.assertEqual([(i["status"], i["replay_of"]) for i in items],
                         [("sent", items[1]["id"]), ("failed", None)], items)
        # a replay of a sent delivery delivers it again (by hand, on purpose)
        r = self.owner.post("%s/deliveries/%d/replay" % (HOOKS, items[0]["id"]))
        self.assertEqual(r.status, 202, r)
        self.assertEqual(len(self.peer.wait(path, 2)), 2)

    def test_a_slow_receiver_does_not_hold_up_another(self):
        slow_hook, slow = self.subscribe(["member.created"])
        fast_hook, fast = self.subscribe(["member.created"])
        self.peer.endpoint(slow).delay = 3.0  # past --webhook-timeout-ms 1000
        started = time.time()
        self.member()
        got = self.peer.wait(fast, 1)
        self.assertEqual(len(got), 1)
        self.assertLess(got[0]["at"] - started, 1.5, "the fast receiver waited for the slow one")
        items = log_when(self.owner, slow_hook["id"], lambda it: it and it[0]["attempts"] >= 1)
        self.assertEqual(items[0]["status"], "deferred", items)
        self.assertIn("imeout", items[0]["last_detail"], items)
        self.peer.endpoint(slow).delay = 0
        items = log_when(self.owner, slow_hook["id"], lambda it: it and it[0]["status"] == "sent", timeout=20)
        self.assertEqual(items[0]["status"], "sent", items)

    def test_an_oversized_answer_is_cut_and_garbage_is_retried(self):
        big_hook, big = self.subscribe(["member.created"])
        bad_hook, bad = self.subscribe(["member.created"])
        self.peer.endpoint(big).big = True
        self.peer.endpoint(bad).garbage = True
        self.member()
        items = log_when(self.owner, big_hook["id"], lambda it: it and it[0]["status"] == "sent")
        self.assertEqual(items[0]["status"], "sent", items)
        self.assertIn("answer cut", items[0]["last_detail"])
        items = log_when(self.owner, bad_hook["id"], lambda it: it and it[0]["attempts"] >= 1)
        self.assertIn(items[0]["status"], ("deferred", "failed"), items)
        self.peer.endpoint(bad).garbage = False
        items = log_when(self.owner, bad_hook["id"], lambda it: it and it[0]["status"] == "sent")
        self.assertEqual(items[0]["status"], "sent", items)
        self.assertTrue(self.server.alive())

    def test_a_paused_subscription_gets_no_new_events_and_a_deleted_one_none_at_all(self):
        hook, path = self.subscribe(["member.created"], active=False)
        self.assertFalse(hook["active"])
        self.member()
        time.sleep(0.3)
        self.assertEqual(self.peer.at(path, ok_only=False), [])
        r = self.owner.patch("%s/%d" % (HOOKS, hook["id"]), {"active": True, "events": ["member.created",
                                                                                        "tier.changed"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["events"], ["member.created", "tier.changed"])
        self.assertNotIn("secret", r.body)
        self.member()
        self.assertEqual(len(self.peer.wait(path, 1)), 1)
        self.assertEqual(self.owner.delete("%s/%d" % (HOOKS, hook["id"])).status, 204)
        self.assertEqual(self.owner.get("%s/%d" % (HOOKS, hook["id"])).status, 404)
        assert_problem(self, self.owner.delete("%s/%d" % (HOOKS, hook["id"])), 404, "not-found")
        self.member()
        time.sleep(0.3)
        self.assertEqual(len(self.peer.at(path, ok_only=False)), 1)

    def test_reading_subscriptions_shows_the_secret_only_one_at_a_time(self):
        hook, _ = self.subscribe(["reward.redeemed", "survey.answered"])
        r = self.owner.get(HOOKS)
        self.assertEqual(r.status, 200, r)
        listed = [h for h in r.body["items"] if h["id"] == hook["id"]]
        self.assertEqual(len(listed), 1, r)
        self.assertNotIn("secret", listed[0])
        one = self.owner.get("%s/%d" % (HOOKS, hook["id"]))
        self.assertEqual(one.body["secret"], hook["secret"])
        ev = self.owner.get(HOOKS + "/events")
        self.assertEqual(ev.status, 200, ev)
        for name in ("member.created", "member.updated", "purchase.recorded", "tier.changed", "reward.redeemed",
                     "survey.answered"):
            self.assertIn(name, ev.body["items"])

    def test_bad_input_names_the_field(self):
        cases = [({"url": "ftp://example.org/x", "events": ["member.created"]}, "url"),
                 ({"url": "not a url", "events": ["member.created"]}, "url"),
                 ({"url": "http://user:pw@example.org/", "events": ["member.created"]}, "url"),
                 ({"url": self.peer.url("/x"), "events": ["member.exploded"]}, "events"),
                 ({"url": self.peer.url("/x"), "events": []}, "events"),
                 ({"url": self.peer.url("/x")}, "events"),
                 ({"events": ["member.created"]}, "url"),
                 ({"url": self.peer.url("/x"), "events": ["member.created"], "active": "yes"}, "active"),
                 ({"url": self.peer.url("/x"), "events": ["member.created"], "colour": 1}, "colour")]
        for body, field in cases:
            with self.subTest(body=body):
                assert_problem(self, self.owner.post(HOOKS, body), 400, "validation", field)
        assert_problem(self, self.owner.post("%s/deliveries/999999/replay" % HOOKS), 404)
        assert_problem(self, self.owner.get("%s/999999/deliveries" % HOOKS), 404)
        assert_problem(self, self.owner.patch("%s/999999" % HOOKS, {"active": False}), 404)

    def test_only_those_with_the_webhook_permission_may_touch_them(self):
        marketer = self.server.client(self.server.apikey("marketer"))
        self.assertEqual(marketer.get(HOOKS).status, 403)
        self.assertEqual(marketer.post(HOOKS, {"url": self.peer.url("/m"), "events": ["member.created"]}).status,
                         403)
        manager = self.server.client(self.server.apikey("manager"))
        self.assertEqual(manager.get(HOOKS).status, 200)


class RotationTest(HookCase):
    """POST /webhooks/{id}/secret: a new secret at once, the previous one still signing for the window asked."""

    def rotate(self, hook_id, body=None, **kw):
        return self.owner.post("%s/%d/secret" % (HOOKS, hook_id), body, **kw) if body is not None else \
            self.owner.post("%s/%d/secret" % (HOOKS, hook_id), **kw)

    def test_after_rotation_deliveries_verify_with_the_new_secret_and_within_the_window_the_old(self):
        hook, path = self.subscribe(["member.created"])
        old = hook["secret"]
        self.assertIsNone(hook["previous_secret_expires_at"])
        r = self.rotate(hook["id"])
        self.assertEqual(r.status, 200, r)
        new = r.body["secret"]
        self.assertTrue(new.startswith("whsec_"), r.body)
        self.assertNotEqual(new, old)
        self.assertIsNotNone(r.body["previous_secret_expires_at"], r.body)
        self.assertEqual(self.owner.get("%s/%d" % (HOOKS, hook["id"])).body["secret"], new)
        self.peer.endpoint(path).secret = new
        self.member()
        got = self.peer.wait(path, 1)
        self.assertEqual(len(got), 1, got)
        d = got[0]
        self.assertTrue(d["verified"], "a delivery after rotation does not verify with the new secret")
        self.assertTrue(signature_ok(old, d["headers"], d["raw"]),
                        "within the window a delivery does not verify with the old secret too")
        self.assertEqual(len(d["headers"]["webhook-signature"].split()), 2, d["headers"])
        self.assertFalse(signature_ok("whsec_" + "QUJD" * 8, d["headers"], d["raw"]))

    def test_without_a_window_the_old_secret_stops_at_once(self):
        hook, path = self.subscribe(["member.created"])
        old = hook["secret"]
        r = self.rotate(hook["id"], {"keep_previous_s": 0})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.body["previous_secret_expires_at"])
        self.peer.endpoint(path).secret = r.body["secret"]
        self.member()
        got = self.peer.wait(path, 1)
        self.assertEqual(len(got), 1, got)
        self.assertTrue(got[0]["verified"], got[0])
        self.assertFalse(signature_ok(old, got[0]["headers"], got[0]["raw"]), "the rotated-out secret still signs")
        self.assertEqual(len(got[0]["headers"]["webhook-signature"].split()), 1)

    def test_a_window_that_has_passed_signs_with_the_new_secret_only(self):
        hook, path = self.subscribe(["member.created"])
        old = hook["secret"]
        r = self.rotate(hook["id"], {"keep_previous_s": 1})
        self.assertEqual(r.status, 200, r)
        self.peer.endpoint(path).secret = r.body["secret"]
        time.sleep(1.2)
        self.member()
        got = self.peer.wait(path, 1)
        self.assertEqual(len(got), 1, got)
        self.assertTrue(got[0]["verified"], got[0])
        self.assertFalse(signature_ok(old, got[0]["headers"], got[0]["raw"]))
        self.assertIsNone(self.owner.get("%s/%d" % (HOOKS, hook["id"])).body["previous_secret_expires_at"])

    def test_a_repeated_request_with_its_idempotency_key_rotates_once(self):
        hook, _ = self.subscribe(["tier.changed"])
        key = "rotate-%d" % uniq()
        r1 = self.rotate(hook["id"], headers={"Idempotency-Key": key})
        r2 = self.rotate(hook["id"], headers={"Idempotency-Key": key})
        self.assertEqual((r1.status, r2.status), (200, 200), (r1, r2))
        self.assertEqual(r1.body["secret"], r2.body["secret"])
        self.assertEqual(self.owner.get("%s/%d" % (HOOKS, hook["id"])).body["secret"], r1.body["secret"])
        r3 = self.rotate(hook["id"])
        self.assertNotEqual(r3.body["secret"], r1.body["secret"])

    def test_the_rotation_is_audited_without_the_secret(self):
        hook, _ = self.subscribe(["tier.changed"])
        r = self.rotate(hook["id"], {"keep_previous_s": 3600})
        self.assertEqual(r.status, 200, r)
        found, cursor = [], None
        for _ in range(100):
            page = self.owner.get(API + "/audit?limit=500" + ("&cursor=" + harness.urlquote(cursor) if cursor else ""))
            self.assertEqual(page.status, 200, page)
            found += [a for a in page.body["items"] if a["action"] == "webhook.secret_rotated"
                      and a["target"]["id"] == hook["id"]]
            cursor = page.body.get("next_cursor")
            if not cursor:
                break
        self.assertEqual(len(found), 1, found)
        text = json.dumps(found[0])
        self.assertNotIn(r.body["secret"][6:], text)
        self.assertNotIn(hook["secret"][6:], text)
        self.assertEqual(found[0]["after"]["keep_previous_s"], 3600)

    def test_bad_input_and_permissions(self):
        hook, _ = self.subscribe(["tier.changed"])
        assert_problem(self, self.rotate(hook["id"], {"keep_previous_s": -1}), 400, "validation", "keep_previous_s")
        assert_problem(self, self.rotate(hook["id"], {"keep_previous_s": 10 ** 9}), 400, "validation",
                       "keep_previous_s")
        assert_problem(self, self.rotate(hook["id"], {"colour": 1}), 400, "validation", "colour")
        assert_problem(self, self.rotate(999999), 404)
        marketer = self.server.client(self.server.apikey("marketer"))
        self.assertEqual(marketer.post("%s/%d/secret" % (HOOKS, hook["id"])).status, 403)
        self.assertEqual(self.owner.get("%s/%d" % (HOOKS, hook["id"])).body["secret"], hook["secret"])


class PrivateAddressTest(unittest.TestCase):
    """Without --webhook-allow-private: internal addresses are refused when saved, and again when sent."""

    def test_internal_addresses_are_refused_when_saved(self):
        server = harness.Server(extra_args=FAST).start()
        owner = server.client(server.apikey("owner"))
        for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "http://LOCALHOST./x", "http://[::1]/x",
                    "http://10.1.2.3/x", "http://192.168.1.1/x", "http://172.16.5.4/x", "http://169.254.169.254/x",
                    "http://[fe80::1]/x", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x", "http://100.64.0.1/"):
            with self.subTest(url=url):
                assert_problem(self, owner.post(HOOKS, {"url": url, "events": ["member.created"]}), 400,
                               "validation", "url", "private")
        r = owner.post(HOOKS, {"url": "https://203.0.113.7/hook", "events": ["member.created"]})
        self.assertEqual(r.status, 201, r)  # a public address literal needs no resolving
        self.assertEqual(server.stop(), 0)

    def test_an_address_allowed_when_saved_is_refused_when_sent_once_the_setting_is_off(self):
        peer = WebhookPeer().start()
        self.addCleanup(peer.stop)
        server = harness.Server(extra_args=FAST + ["--webhook-allow-private"]).start()
        owner = server.client(server.apikey("owner"))
        r = owner.post(HOOKS, {"url": peer.url("/p"), "events": ["member.created"]})
        self.assertEqual(r.status, 201, r)
        hook = r.body
        self.assertEqual(server.stop(), 0)
        server.extra_args = FAST
        server.start()
        owner = server.client(server.apikey("owner"))
        self.assertEqual(owner.post(API + "/members", {"given_name": "P"}).status, 201)
        items = log_when(owner, hook["id"], lambda it: it and it[0]["status"] == "failed")
        self.assertEqual((items[0]["status"], items[0]["reason"]), ("failed", "refused"), items)
        self.assertIn("127.0.0.1", items[0]["last_detail"])
        self.assertEqual(peer.at("/p", ok_only=False), [], "the internal address was reached")
        self.assertEqual(server.stop(), 0)


class CrashTest(unittest.TestCase):
    """SIGKILL while events are being delivered: after a restart every event reaches the receiver (at least once),
    each member's event exactly once in the outbox."""

    def test_no_event_is_lost_across_sigkill(self):
        n = 80
        peer = WebhookPeer().start()
        self.addCleanup(peer.stop)
        server = harness.Server(extra_args=FAST + ["--webhook-allow-private"]).start()
        owner = server.client(server.apikey("owner"))
        r = owner.post(HOOKS, {"url": peer.url("/c"), "events": ["member.created"]})
        self.assertEqual(r.status, 201, r)
        hook_id = r.body["id"]
        peer.endpoint("/c").secret = r.body["secret"]
        peer.endpoint("/c").delay = 0.03
        ids = []
        for i in range(n):
            r = owner.post(API + "/members", {"given_name": "Crash%d" % i})
            self.assertEqual(r.status, 201, r)
            ids.append(r.body["id"])
        end = time.time() + 20
        while len(peer.at("/c")) < n // 4 and time.time() < end:
            time.sleep(0.01)
        server.kill9()
        self.assertLess(len({g["id"] for g in peer.at("/c")}), n, "all delivered before the kill: proves nothing")
        peer.endpoint("/c").delay = 0
        server.start()
        got = []
        end = time.time() + 30
        while time.time() < end:
            got = peer.at("/c")
            if len({g["body"]["data"]["member"]["id"] for g in got}) >= n:
                break
            time.sleep(0.05)
        self.assertEqual(sorted({g["body"]["data"]["member"]["id"] for g in got}), sorted(ids))
        self.assertTrue(all(g["verified"] for g in got))
        owner = server.client(server.apikey("owner"))
        log_when(owner, hook_id, lambda it: len(it) == n and all(i["status"] == "sent" for i in it), timeout=20,
                 limit=200)
        with sqlite3.connect("file:%s?mode=ro" % os.path.join(server.data_dir, "bashgah.db"), uri=True) as db:
            rows = db.execute("SELECT count(*), count(DISTINCT d.event_id), sum(o.status = 'sent') FROM "
                              "webhook_deliveries d JOIN message_outbox o ON o.id = d.message_id").fetchone()
        self.assertEqual(rows, (n, n, n), "one delivery per event, all sent")
        self.assertLessEqual(len(got) - n, 32, "more duplicates than one batch")
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    harness.main()
