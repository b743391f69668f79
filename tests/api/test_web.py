"""API tests for serving the web app's files (src/http/static.c), on a small app written by the test: files with
their content types and cache headers, index.html for the app's own pages, the API's routes and 404s first, only
GET and HEAD, no way out of the folder, and no app at all with --web ''."""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, send  # noqa: E402

INDEX = "<!doctype html><title>app</title><div id=app></div>"
ASSET = "/assets/index-3f2a1c9d.js"


def make_app(root):
    web = os.path.join(root, "web")
    os.makedirs(os.path.join(web, "assets"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write(INDEX)
    with open(os.path.join(web, ASSET.lstrip("/")), "w") as f:
        f.write("console.log('app');\n")
    with open(os.path.join(web, "favicon.svg"), "w") as f:
        f.write("<svg xmlns='http://www.w3.org/2000/svg'/>")
    with open(os.path.join(root, "secret.txt"), "w") as f:
        f.write("outside the app")
    return web


class WebTest(harness.ServerCase):

    @classmethod
    def setUpClass(cls):
        root = harness.make_tempdir("bashgah-web-")
        cls.server_kwargs = {"extra_args": ["--web", make_app(root)]}
        super().setUpClass()

    def get(self, path, method="GET"):
        return send("127.0.0.1", self.server.port, method, path, None, {})

    def test_index_and_files_with_their_types_and_caching(self):
        r = self.get("/")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
        self.assertEqual(r.headers["Cache-Control"], "no-cache")
        self.assertIn("default-src 'self'", r.headers["Content-Security-Policy"])
        a = self.get(ASSET)
        self.assertEqual(a.status, 200, a)
        self.assertEqual(a.headers["Content-Type"], "application/javascript")
        self.assertEqual(a.headers["Cache-Control"], "public, max-age=31536000, immutable")
        s = self.get("/favicon.svg")
        self.assertEqual((s.status, s.headers["Content-Type"]), (200, "image/svg+xml"))
        self.assertEqual(s.headers["Cache-Control"], "no-cache")

    def test_app_pages_get_index_html(self):
        for path in ("/members", "/members/12/edit", "/cashier", "/portal", "/dashboard?lang=fa",
                     "/rewards", "/tiers", "/rules", "/programme", "/segments", "/segments/3", "/users", "/apikeys",
                     "/audit", "/surveys", "/surveys/2?lang=fa", "/broadcasts", "/budget", "/plans",
                     "/competitors", "/moments", "/moments/3", "/campaigns/7",
                     "/webhooks", "/templates", "/templates?lang=fa"):
            with self.subTest(path=path):
                r = self.get(path)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.headers["Content-Type"], "text/html; charset=utf-8")
                self.assertEqual(r.raw.decode(), INDEX)
        self.assertEqual(self.get("/portal", method="HEAD").status, 200)

    def test_api_first_and_404_outside_the_app(self):
        self.assertEqual(self.owner.get(API + "/members?limit=1").status, 200)
        for path in ("/nope", "/members.json", "/assets/missing.js", API + "/nope", "/portal/x.png"):
            with self.subTest(path=path):
                assert_problem(self, self.owner.get(path), 404, "not-found")
        assert_problem(self, self.get(API + "/portal/me"), 401, "unauthenticated")
        r = send("127.0.0.1", self.server.port, "POST", "/members", b"{}", {"Content-Type": "application/json"})
        assert_problem(self, r, 404, "not-found")

    def test_no_way_out_of_the_folder(self):
        for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
            with self.subTest(path=path):
                r = self.get(path)
                self.assertNotIn(b"outside the app", r.raw)


class NoWebTest(harness.ServerCase):
    server_kwargs = {"extra_args": ["--web", ""]}

    def test_no_app_is_served(self):
        for path in ("/", "/members", "/portal"):
            with self.subTest(path=path):
                assert_problem(self, send("127.0.0.1", self.server.port, "GET", path, None, {}), 404, "not-found")


if __name__ == "__main__":
    harness.main()
