"""Saved message templates: a name and texts per locale, checked like a broadcast's (unknown variables and stray
braces name the field and locale), previewed for a chosen member or contact in their language (Persian digits and
the Jalali calendar for fa), and used by a broadcast through "template", delivered to a real SMTP server."""

import os
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, uniq  # noqa: E402
from smtp_peer import SmtpPeer  # noqa: E402

TEMPLATES = API + "/templates"
NOON = 1795608000000  # 2026-11-25T12:00:00Z: 4 Azar 1405 in Tehran
TEXTS = {"subject": {"en": "Hello {given_name}", "fa": "سلام {given_name}"},
         "body": {"en": "You have {points} points on {date}.", "fa": "شما {points} امتیاز دارید، {date}."}}


class TemplateTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpPeer().start()
        cls.server = harness.Server(clock_ms=NOON, extra_args=["--smtp-url", cls.smtp.url(),
                                                                "--delivery-poll-ms", "20"]).start()
        cls.owner = cls.server.client(cls.server.apikey("owner"))

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0
        cls.smtp.stop()

    def template(self, **extra):
        body = dict(TEXTS, name="points %d" % uniq())
        body.update(extra)
        r = self.owner.post(TEMPLATES, body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def member(self, locale, **extra):
        body = {"given_name": "Ali" if locale == "en" else "علی", "locale": locale, "time_zone": "Asia/Tehran",
                "email": "t%d@example.org" % uniq(), "consent": {"email": True}}
        body.update(extra)
        r = self.owner.post(API + "/members", body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def test_crud_and_unique_names(self):
        t = self.template()
        self.assertEqual(t["body"], TEXTS["body"])
        got = self.owner.get("%s/%d" % (TEMPLATES, t["id"]))
        self.assertEqual((got.status, got.body["name"]), (200, t["name"]), got)
        r = self.owner.patch("%s/%d" % (TEMPLATES, t["id"]), {"subject": None, "html": {"en": "<b>{given_name}</b>"}})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.body["subject"])
        self.assertEqual(r.body["html"], {"en": "<b>{given_name}</b>"})
        self.assertEqual(r.body["body"], TEXTS["body"])
        other = self.template()
        assert_problem(self, self.owner.patch("%s/%d" % (TEMPLATES, other["id"]), {"name": t["name"]}), 409,
                       "conflict", "name")
        assert_problem(self, self.owner.post(TEMPLATES, dict(TEXTS, name=t["name"])), 409, "conflict", "name")
        listed = self.owner.get(TEMPLATES + "?limit=500")
        self.assertIn(t["id"], [x["id"] for x in listed.body["items"]])
        self.assertEqual(self.owner.delete("%s/%d" % (TEMPLATES, other["id"])).status, 204)
        self.assertEqual(self.owner.get("%s/%d" % (TEMPLATES, other["id"])).status, 404)
        assert_problem(self, self.owner.delete("%s/%d" % (TEMPLATES, other["id"])), 404, "not-found")

    def test_bad_texts_name_the_field_and_locale(self):
        for body, field in (({"name": "x", "body": {"fa": "سلام {nope}"}}, "body.fa"),
                            ({"name": "x", "body": {"en": "stray { brace"}}, "body.en"),
                            ({"name": "x", "body": {"de": "Hallo"}}, "body"),
                            ({"name": "x"}, "body"),
                            ({"body": {"en": "Hi"}}, "name"),
                            ({"name": "x", "body": {"en": "Hi"}, "colour": 1}, "colour")):
            with self.subTest(body=body):
                assert_problem(self, self.owner.post(TEMPLATES, body), 400, "validation", field)

    def test_preview_for_a_member_and_a_contact_in_their_language(self):
        t = self.template()
        fa = self.member("fa")
        r = self.owner.post("%s/members/%d/adjustments" % (API, fa["id"]), {"points": 1234, "reason": "gift"})
        self.assertEqual(r.status, 201, r)
        p = self.owner.post("%s/%d/preview" % (TEMPLATES, t["id"]), {"member": fa["id"]})
        self.assertEqual(p.status, 200, p)
        self.assertEqual((p.body["locale"], p.body["subject"]), ("fa", "سلام علی"))
        self.assertEqual(p.body["body"], "شما ۱٬۲۳۴ امتیاز دارید، ۴ آذر ۱۴۰۵.")
        en = self.member("en")
        p = self.owner.post("%s/%d/preview" % (TEMPLATES, t["id"]), {"member": en["id"]})
        self.assertEqual(p.body["body"], "You have 0 points on 25 November 2026.")
        c = self.owner.post(API + "/contacts", {"kind": "partner", "given_name": "Pat", "locale": "en",
                                                "time_zone": "America/New_York"})
        self.assertEqual(c.status, 201, c)
        p = self.owner.post("%s/%d/preview" % (TEMPLATES, t["id"]), {"contact": c.body["id"]})
        self.assertEqual((p.body["subject"], p.body["body"]), ("Hello Pat", "You have 0 points on 25 November 2026."))
        assert_problem(self, self.owner.post("%s/%d/preview" % (TEMPLATES, t["id"]), {"member": 999999}), 400,
                       "validation", "member")
        assert_problem(self, self.owner.post("%s/%d/preview" % (TEMPLATES, t["id"]),
                                             {"member": fa["id"], "contact": c.body["id"]}), 400, "validation")
        assert_problem(self, self.owner.post("%s/999999/preview" % TEMPLATES, {"member": fa["id"]}), 404)

    def test_a_broadcast_by_template_is_delivered_rendered(self):
        t = self.template()
        fa = self.member("fa")
        seg = self.owner.post(API + "/segments", {"name": "T%d" % uniq(), "kind": "static", "members": [fa["id"]]})
        self.assertEqual(seg.status, 201, seg)
        r = self.owner.post(API + "/broadcasts", {"audience": {"segment": seg.body["id"]}, "channel": "email",
                                                  "template": t["id"]})
        self.assertEqual(r.status, 201, r)
        b = self.owner.get("%s/broadcasts/%d" % (API, r.body["id"]))
        self.assertEqual(b.body["content"]["body"], TEXTS["body"], b)  # the texts are kept with the broadcast
        end = time.time() + 15
        got = []
        while not got and time.time() < end:
            with self.smtp.lock:
                got = [m["msg"] for m in self.smtp.received if m["rcpt"][0] == fa["email"]]
            time.sleep(0.05)
        self.assertEqual(len(got), 1)
        self.assertEqual(str(got[0]["Subject"]), "سلام علی")
        self.assertEqual(got[0].get_body(("plain",)).get_content().strip(), "شما ۰ امتیاز دارید، ۴ آذر ۱۴۰۵.")
        assert_problem(self, self.owner.post(API + "/broadcasts", {"audience": {"all": True}, "channel": "email",
                                                                   "template": 999999}), 400, "validation",
                       "template")

    def test_who_may_write_and_read(self):
        t = self.template()
        analyst = self.server.client(self.server.apikey("analyst"))
        self.assertEqual(analyst.get("%s/%d" % (TEMPLATES, t["id"])).status, 200)
        self.assertEqual(analyst.post(TEMPLATES, dict(TEXTS, name="no")).status, 403)
        cashier = self.server.client(self.server.apikey("cashier"))
        self.assertEqual(cashier.get(TEMPLATES).status, 403)


if __name__ == "__main__":
    harness.main()
