"""Broadcasts to contacts who are not members (staff, partners, sponsors, press): {"contact_kind": KIND} or "all",
each contact's text in their locale with their names filled in, consent read at send time (suppressed otherwise),
delivered to a real SMTP server (aiosmtpd) on loopback; the inbox is refused for contacts, naming the field."""

import os
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, uniq  # noqa: E402
from smtp_peer import SmtpPeer  # noqa: E402

BROADCASTS = API + "/broadcasts"


class ContactBroadcastTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpPeer().start()
        cls.server = harness.Server(extra_args=["--smtp-url", cls.smtp.url(), "--delivery-poll-ms", "20"]).start()
        cls.owner = cls.server.client(cls.server.apikey("owner"))

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0
        cls.smtp.stop()

    def contact(self, **body):
        r = self.owner.post(API + "/contacts", body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def report_when(self, bid, pred, timeout=15.0):
        end = time.time() + timeout
        while True:
            r = self.owner.get("%s/%d" % (BROADCASTS, bid))
            self.assertEqual(r.status, 200, r)
            if pred(r.body) or time.time() > end:
                return r.body
            time.sleep(0.05)

    def test_news_to_the_staff_in_their_language_with_consent_read_at_send_time(self):
        tag = uniq()
        en = self.contact(kind="staff", given_name="Sara", email="sara%d@club.example" % tag, locale="en",
                          consent={"email": True})
        fa = self.contact(kind="staff", given_name="مریم", email="maryam%d@club.example" % tag, locale="fa",
                          consent={"email": True})
        self.contact(kind="staff", given_name="Nocon", email="nocon%d@club.example" % tag)
        self.contact(kind="partner", given_name="Pat", email="pat%d@firm.example" % tag, consent={"email": True})
        r = self.owner.post(BROADCASTS, {"audience": {"contact_kind": "staff"}, "channel": "email",
                                         "subject": {"en": "Team news", "fa": "خبر تیم"},
                                         "body": {"en": "Hello {given_name}", "fa": "سلام {given_name}"}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["recipients"], 3, r)
        rep = self.report_when(r.body["id"], lambda b: b["counts"]["queued"] == 0 and b["counts"]["deferred"] == 0)
        self.assertEqual((rep["counts"]["sent"], rep["counts"]["suppressed"]), (2, 1), rep)
        self.assertEqual(rep["reasons"]["suppressed"], {"no_consent": 1}, rep)
        self.assertEqual(rep["audience"], {"contact_kind": "staff"})
        with self.smtp.lock:
            got = {m["rcpt"][0]: m["msg"] for m in self.smtp.received if str(tag) in m["rcpt"][0]}
        self.assertEqual(set(got), {en["email"], fa["email"]})
        self.assertEqual(got[en["email"]].get_body(("plain",)).get_content().strip(), "Hello Sara")
        self.assertEqual(got[fa["email"]].get_body(("plain",)).get_content().strip(), "سلام مریم")
        self.assertEqual(str(got[fa["email"]]["Subject"]), "خبر تیم")
        self.assertIsNone(got[en["email"]]["List-Unsubscribe"])  # the one-click link is the members'

    def test_every_contact_and_consent_withdrawn_after_queueing(self):
        import datetime
        import sqlite3
        tag = uniq()
        c = self.contact(kind="press", given_name="Rita", email="rita%d@news.example" % tag, consent={"email": True})
        at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
        r = self.owner.post(BROADCASTS, {"audience": {"contact_kind": "all"}, "channel": "email",
                                         "subject": {"en": "Later"}, "body": {"en": "Hi {given_name}"},
                                         "send_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
        self.assertEqual(r.status, 201, r)
        self.assertGreaterEqual(r.body["recipients"], 1)
        p = self.owner.patch("%s/contacts/%d" % (API, c["id"]), {"consent": {"email": False}})
        self.assertEqual(p.status, 200, p)
        self.report_when(r.body["id"], lambda b: b["counts"]["queued"] == 0 and b["counts"]["deferred"] == 0)
        with sqlite3.connect("file:%s?mode=ro" % os.path.join(self.server.data_dir, "bashgah.db"), uri=True) as db:
            rows = db.execute("SELECT contact_id, member_id, status, reason FROM message_outbox WHERE "
                              "kind = 'broadcast' AND ref_id = ?", (r.body["id"],)).fetchall()
        self.assertIn((c["id"], None, "suppressed", "no_consent"), rows)
        self.assertTrue(all(m is None for _, m, _, _ in rows), rows)
        with self.smtp.lock:
            self.assertFalse([m for m in self.smtp.received if m["rcpt"][0] == c["email"]])

    def test_bad_audiences_name_the_field(self):
        body = {"channel": "email", "subject": {"en": "S"}, "body": {"en": "B"}}
        for audience, field in (({"contact_kind": "aliens"}, "audience.contact_kind"),
                                ({"contact_kind": 3}, "audience.contact_kind"),
                                ({"contact_kind": "staff", "all": True}, "audience.contact_kind")):
            with self.subTest(audience=audience):
                assert_problem(self, self.owner.post(BROADCASTS, dict(body, audience=audience)), 400, "validation",
                               field)
        r = self.owner.post(BROADCASTS, {"audience": {"contact_kind": "staff"}, "channel": "inbox",
                                         "body": {"en": "B"}})
        assert_problem(self, r, 400, "validation", "channel")


if __name__ == "__main__":
    harness.main()
