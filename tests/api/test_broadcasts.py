"""API tests for broadcasts: news to every member, a class or a segment, written to the outbox in one commit with
the broadcast, each member's text in their locale, delivered to a real SMTP server (aiosmtpd) by the worker; consent
and opt-outs are honoured at each send (suppressed with the reason), members without an address are suppressed,
send_at holds messages back until the clock reaches it, and the report counts messages by status and reason."""

import os
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, send, uniq  # noqa: E402
from test_messages import START_MS, MessagesCase  # noqa: E402
from test_portal import Member as PortalClient  # noqa: E402

BROADCASTS = API + "/broadcasts"


class BroadcastTest(MessagesCase):

    def member(self, consent=True, email=True, locale="en"):
        body = {"given_name": "News%d" % uniq(), "locale": locale, "consent": {"email": consent}}
        if email:
            body["email"] = "n%d@example.org" % uniq()
        r = self.owner.post(API + "/members", body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def static_segment(self, ids):
        r = self.owner.post(API + "/segments", {"name": "S%d" % uniq(), "kind": "static", "members": ids})
        self.assertEqual(r.status, 201, r)
        return r.body["id"]

    def report_when(self, bid, pred, timeout=15.0):
        end = time.time() + timeout
        r = None
        while time.time() < end:
            r = self.owner.get("%s/%d" % (BROADCASTS, bid))
            self.assertEqual(r.status, 200, r)
            if pred(r.body):
                return r.body
            time.sleep(0.05)
        self.fail("report never matched: %r" % (r.body if r else None))

    def test_segment_broadcast_reaches_those_who_consented_in_their_language(self):
        en, fa = self.member(locale="en"), self.member(locale="fa")
        no_consent, no_email = self.member(consent=False), self.member(email=False)
        opted_out = self.member()
        r = self.owner.patch("%s/members/%d" % (API, opted_out["id"]), {"consent": {"email": False}})
        self.assertEqual(r.status, 200, r)
        seg = self.static_segment([en["id"], fa["id"], no_consent["id"], no_email["id"], opted_out["id"]])
        r = self.owner.post(BROADCASTS, {"audience": {"segment": seg}, "channel": "email",
                                         "subject": {"en": "Spring news", "fa": "خبر بهار"},
                                         "body": {"en": "Hello from the club", "fa": "سلام از باشگاه"},
                                         "html": {"en": "<p>Hello <b>from</b> the club</p>",
                                                  "fa": "<p dir=\"rtl\">سلام از باشگاه</p>"}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["recipients"], 5)
        self.assertEqual(r.headers["Location"], "%s/%d" % (BROADCASTS, r.body["id"]))
        report = self.report_when(r.body["id"], lambda b: b["counts"]["queued"] == 0 and b["counts"]["deferred"] == 0)
        self.assertEqual(report["counts"], {"queued": 0, "deferred": 0, "sent": 2, "failed": 0, "suppressed": 3})
        self.assertEqual(report["reasons"], {"suppressed": {"no_consent": 1, "no_address": 1, "opted_out": 1}})
        got_en = self.peer.wait_for(en["email"])[0]["msg"]
        got_fa = self.peer.wait_for(fa["email"])[0]["msg"]
        self.assertEqual((got_en["Subject"], got_fa["Subject"]), ("Spring news", "خبر بهار"))
        self.assertEqual(got_en.get_body(("plain",)).get_content().strip(), "Hello from the club")
        self.assertEqual(got_fa.get_body(("html",)).get_content().strip(), "<p dir=\"rtl\">سلام از باشگاه</p>")
        self.assertEqual(got_en.get_body(("html",)).get_content_type(), "text/html")
        alt = [p.get_content_type() for p in got_en.walk()]
        self.assertIn("multipart/alternative", alt)
        self.assertEqual(self.peer.messages_to(no_consent["email"]), [])
        self.assertEqual(self.peer.messages_to(opted_out["email"]), [])

    def test_opt_out_after_queueing_still_holds_at_send_time(self):
        m = self.member()
        r = self.owner.post(BROADCASTS, {"audience": {"segment": self.static_segment([m["id"]])}, "channel": "email",
                                         "subject": {"en": "Later"}, "body": {"en": "Later news"},
                                         "send_at": "2099-01-01T00:00:00Z"})
        self.assertEqual(r.status, 201, r)
        bid = r.body["id"]
        time.sleep(0.3)
        report = self.report_when(bid, lambda b: True)
        self.assertEqual(report["counts"]["queued"], 1)  # held back until send_at
        self.assertEqual(report["send_at"], "2099-01-01T00:00:00.000Z")
        self.assertEqual(self.owner.patch("%s/members/%d" % (API, m["id"]), {"consent": {"email": False}}).status, 200)
        self.server.set_clock(4_070_908_800_000 + 1000)  # past 2099-01-01
        report = self.report_when(bid, lambda b: b["counts"]["suppressed"] == 1)
        self.assertEqual(report["reasons"], {"suppressed": {"opted_out": 1}})
        self.assertEqual(self.peer.messages_to(m["email"]), [])

    def test_erasing_a_member_suppresses_what_waits_and_forgets_every_address(self):
        m, kept = self.member(), self.member()
        seg = self.static_segment([m["id"], kept["id"]])
        r = self.owner.post(BROADCASTS, {"audience": {"segment": seg}, "channel": "email",
                                         "subject": {"en": "Later"}, "body": {"en": "Later news"},
                                         "send_at": "2099-01-01T00:00:00Z"})
        self.assertEqual(r.status, 201, r)
        bid = r.body["id"]
        self.assertEqual(self.owner.delete("%s/members/%d" % (API, m["id"])).status, 204)
        with self.db() as db:
            rows = db.execute("SELECT member_id, status, reason, destination, subject, body_text FROM message_outbox "
                              "WHERE kind = 'broadcast' AND ref_id = ? ORDER BY member_id", (bid,)).fetchall()
        self.assertEqual(rows, [(m["id"], "suppressed", "erased", "", "", ""),
                                (kept["id"], "queued", None, kept["email"], "Later", "Later news")])
        self.server.set_clock(4_070_908_800_000 + 9 * 3600 * 1000)  # 2099-01-01, daytime: only the other one goes
        self.report_when(bid, lambda b: b["counts"].get("sent") == 1)
        self.assertEqual(self.peer.messages_to(m["email"]), [])
        self.assertEqual(len(self.peer.messages_to(kept["email"])), 1)

    def test_one_click_unsubscribe_works_without_signing_in(self):
        m = self.member()
        seg = self.static_segment([m["id"]])
        news = {"audience": {"segment": seg}, "channel": "email", "subject": {"en": "News"}, "body": {"en": "N"}}
        self.assertEqual(self.owner.post(BROADCASTS, news).status, 201)
        msg = self.peer.wait_for(m["email"])[0]["msg"]
        self.assertEqual(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        link = msg["List-Unsubscribe"].strip()
        self.assertTrue(link.startswith("<http://127.0.0.1:%d/api/v1/unsubscribe?token=" % self.server.port), link)
        url = urllib.parse.urlsplit(link[1:-1])
        path = url.path + "?" + url.query
        page = send("127.0.0.1", self.server.port, "GET", path, None, {})
        self.assertEqual(page.status, 200, page)
        self.assertIn(b"<form method=\"post\"", page.raw)
        self.assertTrue(self.owner.get("%s/members/%d" % (API, m["id"])).body["consent"]["email"])  # GET: no change
        token = urllib.parse.parse_qs(url.query)["token"][0]
        forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        for bad in (forged, "short", ""):
            r = send("127.0.0.1", self.server.port, "POST", API + "/unsubscribe?token=" + bad,
                     b"List-Unsubscribe=One-Click", {"Content-Type": "application/x-www-form-urlencoded"})
            assert_problem(self, r, 400, "validation", "token")
        r = send("127.0.0.1", self.server.port, "POST", path, b"List-Unsubscribe=One-Click",
                 {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((r.status, r.body), (200, {"unsubscribed": True, "channel": "email"}), r)
        self.assertFalse(self.owner.get("%s/members/%d" % (API, m["id"])).body["consent"]["email"])
        again = send("127.0.0.1", self.server.port, "POST", path, b"", {})
        self.assertEqual(again.status, 200, again)  # a second click is harmless
        r = self.owner.post(BROADCASTS, news)
        report = self.report_when(r.body["id"], lambda b: b["counts"]["suppressed"] == 1)
        self.assertEqual(report["reasons"], {"suppressed": {"opted_out": 1}})
        self.assertEqual(len(self.peer.messages_to(m["email"])), 1)

    def test_inbox_broadcast_shows_in_the_members_portal_read_and_unread(self):
        m, other = self.member(), self.member()
        portal = PortalClient(self.server.port)
        self.assertEqual(portal.ask_code(email=m["email"]).status, 202)
        code = self.owner.get("%s/members/%d/portal-code" % (API, m["id"])).body["code"]
        self.assertEqual(portal.sign_in(code, email=m["email"]).status, 200)
        self.assertEqual(portal.request("GET", API + "/portal/inbox").body, {"items": [], "unread": 0})
        r = self.owner.post(BROADCASTS, {"audience": {"segment": self.static_segment([m["id"], other["id"]])},
                                         "channel": "inbox", "subject": {"en": "Double points", "fa": "امتیاز دوبرابر"},
                                         "body": {"en": "This weekend only", "fa": "فقط این آخر هفته"}})
        self.assertEqual(r.status, 201, r)
        self.report_when(r.body["id"], lambda b: b["counts"]["sent"] == 2)
        box = portal.request("GET", API + "/portal/inbox")
        self.assertEqual(box.status, 200, box)
        self.assertEqual(box.body["unread"], 1)
        [item] = box.body["items"]
        self.assertEqual((item["subject"], item["body"], item["read"]), ("Double points", "This weekend only", False))
        self.assertRegex(item["received_at"], harness.RFC3339_MS)
        with self.db() as db:
            others = db.execute("SELECT id FROM message_outbox WHERE member_id = ? AND channel = 'inbox'",
                                (other["id"],)).fetchone()[0]
        assert_problem(self, portal.request("POST", "%s/portal/inbox/%d/read" % (API, others)), 404, "not-found")
        r = portal.request("POST", "%s/portal/inbox/%d/read" % (API, item["id"]), csrf=False)
        self.assertEqual(r.status, 403, r)  # a write without the CSRF token
        r = portal.request("POST", "%s/portal/inbox/%d/read" % (API, item["id"]))
        self.assertEqual(r.status, 204, r)
        box = portal.request("GET", API + "/portal/inbox").body
        self.assertEqual((box["unread"], box["items"][0]["read"]), (0, True))
        stranger = PortalClient(self.server.port)
        self.assertEqual(stranger.request("GET", API + "/portal/inbox").status, 401)

    def test_templates_fill_each_members_variables_in_their_locale(self):
        fa = self.member(locale="fa")
        self.assertEqual(self.owner.patch("%s/members/%d" % (API, fa["id"]), {"given_name": "<Ali & Co>"}).status, 200)
        r = self.owner.post("%s/members/%d/adjustments" % (API, fa["id"]), {"points": 1234, "reason": "gift"})
        self.assertEqual(r.status, 201, r)
        en = self.member(locale="en")
        body = {"audience": {"segment": self.static_segment([fa["id"], en["id"]])}, "channel": "email",
                "subject": {"en": "{given_name}, news", "fa": "{given_name}، خبر"},
                "body": {"en": "You have {points} points {{really}}", "fa": "شما {points} امتیاز دارید"},
                "html": {"en": "<p>{given_name}: {points}</p>", "fa": "<p>{given_name}: {points}</p>"}}
        preview = self.owner.post(BROADCASTS + "/preview", dict({k: v for k, v in body.items() if k != "audience"},
                                                                member=fa["id"]))
        self.assertEqual(preview.status, 200, preview)
        self.assertEqual(preview.body, {"locale": "fa", "subject": "<Ali & Co>، خبر", "body": "شما ۱٬۲۳۴ امتیاز دارید",
                                        "html": "<p>&lt;Ali &amp; Co&gt;: ۱٬۲۳۴</p>"})
        r = self.owner.post(BROADCASTS, body)
        self.assertEqual(r.status, 201, r)
        got_fa = self.peer.wait_for(fa["email"])[0]["msg"]
        self.assertEqual(got_fa["Subject"], "<Ali & Co>، خبر")
        self.assertEqual(got_fa.get_body(("plain",)).get_content().strip(), "شما ۱٬۲۳۴ امتیاز دارید")
        self.assertEqual(got_fa.get_body(("html",)).get_content().strip(), "<p>&lt;Ali &amp; Co&gt;: ۱٬۲۳۴</p>")
        got_en = self.peer.wait_for(en["email"])[0]["msg"]
        self.assertEqual(got_en.get_body(("plain",)).get_content().strip(), "You have 0 points {really}")

    def test_template_errors_name_the_field(self):
        m = self.member()
        ok = {"audience": {"all": True}, "channel": "email", "subject": {"en": "S"}, "body": {"en": "B"}}
        for field, text in (("body.en", "Hi {name}"), ("body.en", "Hi {given_name"), ("body.en", "50% off }")):
            with self.subTest(text=text):
                assert_problem(self, self.owner.post(BROADCASTS, dict(ok, body={"en": text})), 400, "validation", field)
        assert_problem(self, self.owner.post(BROADCASTS, dict(ok, subject={"fa": "{tierr}"})), 400, "validation",
                       "subject.fa")
        assert_problem(self, self.owner.post(BROADCASTS + "/preview", {"member": m["id"], "body": {"en": "{x}"}}),
                       400, "validation", "body.en")
        assert_problem(self, self.owner.post(BROADCASTS + "/preview", {"member": 99999999, "body": {"en": "x"}}),
                       400, "validation", "member")

    def test_waiting_sms_without_a_gateway_never_hide_email(self):
        if type(self) is not BroadcastTest:
            self.skipTest("once is enough")
        ids = [self.member(email=False)["id"] for _ in range(140)]
        r = self.owner.post(BROADCASTS, {"audience": {"segment": self.static_segment(ids)}, "channel": "sms",
                                         "body": {"en": "Sale"}})
        self.assertEqual(r.status, 201, r)
        time.sleep(0.2)
        self.assertEqual(self.owner.get("%s/%d" % (BROADCASTS, r.body["id"])).body["counts"]["queued"], 140)
        m = self.member()
        news = self.owner.post(BROADCASTS, {"audience": {"segment": self.static_segment([m["id"]])},
                                            "channel": "email", "subject": {"en": "Hi"}, "body": {"en": "Hi"}})
        self.report_when(news.body["id"], lambda b: b["counts"]["sent"] == 1)

    def test_class_audience_takes_only_that_class(self):
        self.member()
        r = self.owner.post(BROADCASTS, {"audience": {"class": "lapsed"}, "channel": "inbox",
                                         "body": {"en": "We miss you"}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["recipients"], 0)  # new members are prospects
        r = self.owner.post(BROADCASTS, {"audience": {"class": "prospect"}, "channel": "inbox",
                                         "subject": {"en": "Hi"}, "body": {"en": "Welcome"}})
        self.assertEqual(r.status, 201, r)
        self.assertGreater(r.body["recipients"], 0)
        report = self.report_when(r.body["id"], lambda b: b["counts"]["sent"] == r.body["recipients"])
        self.assertEqual(report["counts"]["suppressed"], 0)

    def test_bad_bodies_name_the_field_and_write_nothing(self):
        ok = {"audience": {"all": True}, "channel": "email", "subject": {"en": "S"}, "body": {"en": "B"}}
        cases = [
            (dict(ok, channel="fax"), "channel"),
            (dict(ok, audience={"all": False}), "audience"),
            (dict(ok, audience={"class": "gold"}), "audience.class"),
            (dict(ok, audience={"segment": 999999}), "audience.segment"),
            ({k: v for k, v in ok.items() if k != "subject"}, "subject"),
            (dict(ok, body={"de": "Hallo"}), "body"),
            (dict(ok, body={"en": ""}), "body"),
            (dict(ok, subject={"en": "x" * 256}), "subject"),
            (dict(ok, send_at="tomorrow"), "send_at"),
            (dict(ok, channel="sms", html={"en": "<p>x</p>"}), "html"),
            (dict(ok, template="welcome"), "template"),
            (dict(ok, channel="sms", body={"en": "ok", "fa": "ب" * (67 * 10 + 1)}), "body.fa"),
        ]
        for body, field in cases:
            with self.subTest(field=field):
                assert_problem(self, self.owner.post(BROADCASTS, body), 400, "validation", field)
        assert_problem(self, self.owner.get(BROADCASTS + "/999999"), 404, "not-found")

    def test_roles(self):
        cashier = self.server.client(self.server.apikey("cashier"))
        body = {"audience": {"all": True}, "channel": "inbox", "body": {"en": "B"}}
        self.assertEqual(cashier.post(BROADCASTS, body).status, 403)
        marketer = self.server.client(self.server.apikey("marketer"))
        r = marketer.post(BROADCASTS, body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(cashier.get("%s/%d" % (BROADCASTS, r.body["id"])).status, 403)


DAY_MS = 86_400_000
HOUR_MS = 3_600_000


class LimitsTest(BroadcastTest):
    """Quiet hours in each member's own time zone and a cap of one news message a day (the tests of
    BroadcastTest run here too, each on a day of its own at noon UTC, out of the quiet hours)."""
    extra = ["--quiet-hours", "21-8", "--cap-per-day", "1"]

    def setUp(self):
        self.peer.set_answer(None)
        self.day = (START_MS // DAY_MS + 10 * uniq()) * DAY_MS
        self.server.set_clock(self.day + 12 * HOUR_MS)

    def news(self, m, text="N"):
        r = self.owner.post(BROADCASTS, {"audience": {"segment": self.static_segment([m["id"]])}, "channel": "email",
                                         "subject": {"en": text, "fa": text}, "body": {"en": text, "fa": text}})
        self.assertEqual(r.status, 201, r)
        return r.body["id"]

    def test_quiet_hours_in_the_members_zone_defer_news_but_not_codes(self):
        m = self.member(locale="fa")
        self.assertEqual(self.owner.patch("%s/members/%d" % (API, m["id"]), {"time_zone": "Asia/Tehran"}).status, 200)
        self.server.set_clock(self.day + 19 * HOUR_MS + 30 * 60_000)  # 23:00 in Tehran (+03:30), 19:30 UTC
        bid = self.news(m)
        report = self.report_when(bid, lambda b: b["counts"]["deferred"] == 1)
        self.assertEqual(report["reasons"], {"deferred": {"quiet_hours": 1}})
        row = self.outbox_row(m["email"])
        # 05:00 UTC next day = 08:30 in Tehran, the first whole UTC hour out of 21-8 there; no try counted
        self.assertEqual((row[1], row[3], row[4]), ("deferred", 0, self.day + DAY_MS + 5 * HOUR_MS))
        portal = PortalClient(self.server.port)
        self.assertEqual(portal.ask_code(email=m["email"]).status, 202)
        self.assertEqual(len(self.peer.wait_for(m["email"])), 1)  # the code goes at once, quiet hours or not
        time.sleep(0.3)
        self.assertEqual(len(self.peer.messages_to(m["email"])), 1)
        self.server.set_clock(self.day + DAY_MS + 5 * HOUR_MS)
        self.report_when(bid, lambda b: b["counts"]["sent"] == 1)
        self.assertEqual(len(self.peer.wait_for(m["email"], 2)), 2)

    def test_news_past_the_daily_cap_is_suppressed(self):
        m = self.member()
        first = self.news(m, "one")
        self.report_when(first, lambda b: b["counts"]["sent"] == 1)
        self.server.advance(HOUR_MS)
        second = self.news(m, "two")
        report = self.report_when(second, lambda b: b["counts"]["suppressed"] == 1)
        self.assertEqual(report["reasons"], {"suppressed": {"cap_reached": 1}})
        self.server.advance(DAY_MS)
        third = self.news(m, "three")
        self.report_when(third, lambda b: b["counts"]["sent"] == 1)
        self.assertEqual([g["msg"]["Subject"] for g in self.peer.wait_for(m["email"], 2)], ["one", "three"])


if __name__ == "__main__":
    harness.main()
