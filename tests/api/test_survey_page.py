"""The personal survey link /s/TOKEN is one address for two readers (src/http/surveys.c, src/http/static.c): a
browser, which asks for HTML, gets the web app's page; an API client gets the survey as JSON. The answer says
`Vary: Accept`; without the web app the link answers JSON to everyone. The JSON carries the invited person's
locale, so the page speaks their language."""

import json
import os
import sqlite3
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, send  # noqa: E402

INDEX = "<!doctype html><title>app</title><div id=app></div>"
QUESTIONS = [{"key": "score", "type": "nps", "text_en": "Recommend us?",
              "text_fa": "ما را پیشنهاد می‌کنید؟"}]
CHROMIUM = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
            "application/signed-exchange;v=b3;q=0.7")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def make_app(root):
    web = os.path.join(root, "web")
    os.makedirs(web)
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write(INDEX)
    return web


class SurveyPageTest(harness.ServerCase):

    @classmethod
    def setUpClass(cls):
        cls.server_kwargs = {"extra_args": ["--web", make_app(harness.make_tempdir("bashgah-survey-page-"))]}
        super().setUpClass()
        ids = []
        for given, locale in (("Sara", "en"), ("Reza", "fa")):
            r = cls.owner.post(API + "/contacts", {"kind": "staff", "given_name": given, "locale": locale,
                                                   "email": "%s@club.example" % given.lower(),
                                                   "consent": {"email": True}})
            assert r.status == 201, r
            ids.append(r.body["id"])
        r = cls.owner.post(API + "/surveys", {"title_en": "How are we doing?", "title_fa": "چطور هستیم؟",
                                              "questions": QUESTIONS})
        assert r.status == 201, r
        cls.sid = r.body["id"]
        r = cls.owner.post("%s/surveys/%d/invitations" % (API, cls.sid), {"audience": {"contact_kind": "staff"}})
        assert r.status == 201 and r.body["invited"] == 2, r
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(cls.server.data_dir, "bashgah.db"), uri=True)
        with db:
            rows = db.execute("SELECT contact_id, data FROM message_outbox WHERE kind = 'survey_invitation'").fetchall()
        db.close()
        cls.links = {cid: json.loads(d)["link"] for cid, d in rows}
        cls.sara, cls.reza = cls.links[ids[0]], cls.links[ids[1]]

    def get(self, path, accept=None):
        return send("127.0.0.1", self.server.port, "GET", path, None, {"Accept": accept} if accept else {})

    def test_a_browser_gets_the_page(self):
        for accept in (CHROMIUM, FIREFOX, "text/html", "text/html;q=0.9, application/json;q=0.5"):
            r = self.get(self.sara, accept)
            self.assertEqual(r.status, 200, (accept, r))
            self.assertTrue(r.headers["Content-Type"].startswith("text/html"), (accept, r.headers["Content-Type"]))
            self.assertEqual(r.raw.decode(), INDEX)
            self.assertIn("Accept", r.headers["Vary"])
            self.assertEqual(r.headers["Cache-Control"], "no-cache")
            self.assertEqual(r.headers["Referrer-Policy"], "no-referrer")
            self.assertIn("default-src 'self'", r.headers["Content-Security-Policy"])
        # an unknown link gets the page too: the page reads the JSON and says the link is not one
        r = self.get("/s/" + "A" * 43, CHROMIUM)
        self.assertEqual((r.status, r.raw.decode()), (200, INDEX))

    def test_an_api_client_gets_json(self):
        for accept in (None, "application/json", "*/*", "application/json, text/html;q=0.5",
                       "text/html;q=0.5, */*", "text/html, application/json", "text/html;q=0, */*;q=0.1"):
            r = self.get(self.sara, accept)
            self.assertEqual(r.status, 200, (accept, r))
            self.assertEqual(r.headers["Content-Type"], "application/json", accept)
            self.assertIn("Accept", r.headers["Vary"])
            self.assertEqual(r.body["title_fa"], "چطور هستیم؟")
            self.assertEqual((r.body["open"], r.body["answered"]), (True, False))
        assert_problem(self, self.get("/s/" + "A" * 43, "application/json"), 404, "not-found", "token")

    def test_the_json_says_the_persons_locale(self):
        self.assertEqual(self.get(self.sara, "application/json").body["locale"], "en")
        self.assertEqual(self.get(self.reza, "application/json").body["locale"], "fa")

    def test_answering_is_the_same_whatever_the_accept(self):
        pub = self.server.client()
        r = pub.post(self.reza, {"answers": {"score": 9}}, headers={"Accept": CHROMIUM})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.get(self.reza, "application/json").body["answered"], True)
        self.assertEqual(self.get(self.reza, CHROMIUM).raw.decode(), INDEX)  # the page says it was used
        assert_problem(self, pub.post(self.reza, {"answers": {"score": 9}}), 409, "link-used", "token")


class NoWebAppTest(harness.ServerCase):
    server_kwargs = {"extra_args": ["--web", ""]}

    def test_json_for_everyone_without_the_app(self):
        r = send("127.0.0.1", self.server.port, "GET", "/s/" + "A" * 43, None, {"Accept": CHROMIUM})
        assert_problem(self, r, 404, "not-found", "token")
        self.assertIn("Accept", r.headers["Vary"])


if __name__ == "__main__":
    harness.main()
