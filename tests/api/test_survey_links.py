"""A survey invitation's link reaches people as an absolute address under --public-url (the server's address as
they reach it, behind a proxy), while the outbox keeps the path /s/TOKEN: the delivery worker makes it absolute at
send time. Checked on a real SMTP server (aiosmtpd) and SMS gateway on loopback, and by following the link."""

import os
import sys
import time
import unittest
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API  # noqa: E402
from sms_gateway import SmsGateway  # noqa: E402
from smtp_peer import SmtpPeer  # noqa: E402

QUESTIONS = [{"key": "score", "type": "nps", "text_en": "Recommend us?", "text_fa": "ما را پیشنهاد می‌کنید؟"}]


class SurveyLinkTest(unittest.TestCase):

    def test_links_are_absolute_under_the_public_url(self):
        smtp = SmtpPeer().start()
        self.addCleanup(smtp.stop)
        sms = SmsGateway().start()
        self.addCleanup(sms.stop)
        server = harness.Server(extra_args=["--smtp-url", smtp.url(), "--sms-url", sms.url(),
                                            "--public-url", "https://club.example/loyalty/",
                                            "--delivery-poll-ms", "20"]).start()
        owner = server.client(server.apikey("owner"))
        for body in ({"kind": "staff", "given_name": "Sara", "email": "sara@club.example", "consent": {"email": True},
                      "locale": "en"},
                     {"kind": "partner", "given_name": "Reza", "phone": "09121234567", "consent": {"sms": True},
                      "locale": "fa"}):
            r = owner.post(API + "/contacts", body)
            self.assertEqual(r.status, 201, r)
        r = owner.post(API + "/surveys", {"title_en": "How are we doing?", "title_fa": "چطور هستیم؟",
                                          "questions": QUESTIONS})
        self.assertEqual(r.status, 201, r)
        sid = r.body["id"]
        r = owner.post("%s/surveys/%d/invitations" % (API, sid), {"audience": {"contact_kind": "all"}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["invited"], 2, r)
        end = time.time() + 15
        while (not smtp.received or not sms.received) and time.time() < end:
            time.sleep(0.05)
        self.assertTrue(smtp.received and sms.received, "nothing delivered")
        mail = smtp.received[0]["msg"].get_body(("plain",)).get_content()
        text = sms.received[0]["body"]["text"]
        links = []
        for t in (mail, text):
            last = t.strip().splitlines()[-1]
            self.assertTrue(last.startswith("https://club.example/loyalty/s/"), t)
            self.assertEqual(len(last), len("https://club.example/loyalty/s/") + 43, last)
            links.append(last)
        self.assertIn("چطور هستیم؟", text)
        # the path of the link opens the survey (the proxy would strip /loyalty)
        path = urllib.parse.urlparse(links[0]).path[len("/loyalty"):]
        r = server.client().get(path)
        self.assertEqual(r.status, 200, r)
        # the outbox keeps the path, so a changed --public-url applies to messages still waiting
        import sqlite3
        with sqlite3.connect("file:%s?mode=ro" % os.path.join(server.data_dir, "bashgah.db"), uri=True) as db:
            kept = [t for (t,) in db.execute("SELECT body_text FROM message_outbox WHERE kind = 'survey_invitation'")]
        self.assertTrue(all(t.strip().splitlines()[-1].startswith("/s/") for t in kept), kept)
        # an SMS is billed for the text sent, link included
        with sqlite3.connect("file:%s?mode=ro" % os.path.join(server.data_dir, "bashgah.db"), uri=True) as db:
            segments = db.execute("SELECT segments FROM message_outbox WHERE kind = 'survey_invitation' AND "
                                  "channel = 'sms'").fetchone()[0]
        def ucs2_parts(t):
            n = len(t.encode("utf-16-le")) // 2
            return 1 if n <= 70 else -(-n // 67)
        stored = [t for t in kept if "چطور" in t][0]
        self.assertEqual(segments, ucs2_parts(text), text)
        self.assertGreater(segments, ucs2_parts(stored), "billed for the stored text, not the one sent")
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    harness.main()
