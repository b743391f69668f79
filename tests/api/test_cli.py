"""CLI tests: version, --help everywhere, routes, member import/export (CLI and HTTP), online backup, and the
configuration precedence (config file < environment < flag)."""

import csv
import io
import json
import os
import re
import socket
import sqlite3
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, list_all, run_cli  # noqa: E402

COLUMNS = ["external_ref", "given_name", "family_name", "phone", "email", "birthday", "birthday_calendar",
           "time_zone", "locale", "kind", "consent_email", "consent_sms", "attributes"]
ZWNJ = "\u200c"


def csv_text(rows, header=COLUMNS):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(c, "") for c in header])
    return out.getvalue()


# Header is line 1; these are lines 2..8. Bad rows: 3 (phone), 5 (email), 6 (birthday), 7 (kind).
MIXED_ROWS = [
    {"external_ref": "C-1001", "given_name": "محمد", "family_name": "رضایی", "phone": "09121110001",
     "email": "M1@Example.com", "birthday": "1370-01-05", "birthday_calendar": "persian", "time_zone": "Asia/Tehran",
     "locale": "fa", "kind": "member", "consent_email": "true", "consent_sms": "0", "attributes": '{"a":1}'},
    {"external_ref": "C-1002", "given_name": "Bad", "phone": "hello"},
    {"external_ref": "C-1003", "given_name": "Sara", "family_name": "O'Neil, \"Jr.\"", "locale": "en",
     "kind": "prospect"},
    {"external_ref": "C-1004", "given_name": "Bad", "email": "nope"},
    {"external_ref": "C-1005", "given_name": "Bad", "birthday": "2023-02-29", "birthday_calendar": "gregorian"},
    {"external_ref": "C-1006", "given_name": "Bad", "kind": "vip"},
    {"external_ref": "C-1007", "given_name": "علی" + ZWNJ + "رضا", "phone": "۰۹۱۲۱۱۱۰۰۰۷", "consent_email": "1",
     "consent_sms": "false", "attributes": '{"tags":["x","y"],"note":"a,b"}'},
]
MIXED_CSV = csv_text(MIXED_ROWS)
MIXED_BAD = {(3, "phone"), (5, "email"), (6, "birthday"), (7, "kind")}
GOOD_REFS = {"C-1001", "C-1003", "C-1007"}

SUMMARY = re.compile(r"created=(\d+) updated=(\d+) rejected=(\d+)")
ERROR_LINE = re.compile(r"^line (\d+): (\w+): (.+)$")

SUBCOMMANDS = [
    ["serve"], ["migrate"], ["user", "add"], ["user", "list"], ["user", "passwd"],
    ["apikey", "create"], ["apikey", "list"], ["apikey", "revoke"],
    ["member", "import"], ["member", "export"], ["backup"], ["version"], ["routes"],
]
GROUPS = [["user"], ["apikey"], ["member"]]

ROUTES = [
    "GET /healthz", "GET /metrics", "POST /api/v1/auth/login", "POST /api/v1/auth/logout", "GET /api/v1/auth/me",
    "GET /api/v1/members", "POST /api/v1/members", "GET /api/v1/members/{id}", "PATCH /api/v1/members/{id}",
    "DELETE /api/v1/members/{id}", "GET /api/v1/members/{id}/export", "POST /api/v1/members/import",
    "GET /api/v1/members/export", "GET /api/v1/users", "POST /api/v1/users", "PATCH /api/v1/users/{id}",
    "GET /api/v1/apikeys", "POST /api/v1/apikeys", "DELETE /api/v1/apikeys/{id}", "GET /api/v1/audit",
]


def summary(tc, text):
    m = SUMMARY.search(text)
    tc.assertIsNotNone(m, "no summary line in %r" % text)
    return tuple(int(x) for x in m.groups())


def error_lines(tc, stderr):
    found = set()
    for line in stderr.splitlines():
        m = ERROR_LINE.match(line.strip())
        if m:
            found.add((int(m.group(1)), m.group(2)))
    return found


def parse_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:] if r]


def truthy(v):
    return v.strip().lower() in ("true", "1")


def falsy(v):
    return v.strip().lower() in ("false", "0", "")


class PlainCliTest(unittest.TestCase):

    def test_version(self):
        p = run_cli(None, "version", data=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\b0\.1\.\d+\b")

    def test_every_subcommand_has_help(self):
        for words in SUBCOMMANDS:
            with self.subTest(cmd=words):
                p = run_cli(None, *(words + ["--help"]), data=False)
                self.assertEqual(p.returncode, 0, (p.stdout, p.stderr))
                text = p.stdout + p.stderr
                self.assertIn(words[-1], text)
                self.assertGreater(len(text.strip()), 20)
    def test_command_groups_have_help(self):
        for words in GROUPS:
            with self.subTest(cmd=words):
                p = run_cli(None, *(words + ["--help"]), data=False)
                self.assertEqual(p.returncode, 0, (p.stdout, p.stderr))
                self.assertIn(words[0], p.stdout + p.stderr)

    def test_top_level_help(self):
        p = run_cli(None, "--help", data=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        for words in SUBCOMMANDS:
            self.assertIn(words[0], p.stdout + p.stderr)

    def test_unknown_subcommand_and_flag_fail(self):
        p = run_cli(None, "frobnicate", data=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())
        p = run_cli(None, "version", "--no-such-flag", data=False)
        self.assertNotEqual(p.returncode, 0)

    def test_routes(self):
        p = run_cli(None, "routes", data=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [l.strip() for l in p.stdout.splitlines() if l.strip()]
        for l in lines:
            self.assertRegex(l, r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*$")
        for r in ROUTES:
            self.assertIn(r, lines)
        self.assertEqual(len(lines), len(set(lines)))


class CliImportExportTest(unittest.TestCase):

    def setUp(self):
        self.root = harness.make_tempdir()
        self.data = os.path.join(self.root, "data")
        p = run_cli(self.data, "migrate")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.mixed = self.write("mixed.csv", MIXED_CSV)

    def write(self, name, text):
        path = os.path.join(self.root, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def cli(self, *args, **kw):
        return run_cli(self.data, *args, **kw)

    def export(self, *args, data=None):
        p = run_cli(data or self.data, "member", "export", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return parse_csv(p.stdout)

    def test_import_good_and_bad_rows(self):
        p = self.cli("member", "import", self.mixed)
        self.assertEqual(p.returncode, 1, (p.stdout, p.stderr))
        self.assertEqual(summary(self, p.stdout), (3, 0, 4))
        self.assertEqual(error_lines(self, p.stderr), MIXED_BAD, p.stderr)

        header, rows = self.export()
        self.assertEqual(header[:3], ["id", "created_at", "updated_at"])
        self.assertEqual(sorted(header[3:]), sorted(COLUMNS))
        by_ref = {r["external_ref"]: r for r in rows}
        self.assertEqual(set(by_ref), GOOD_REFS)

        a = by_ref["C-1001"]
        self.assertEqual(a["given_name"], "محمد")
        self.assertEqual(a["phone"], "+989121110001")
        self.assertEqual(a["email"], "m1@example.com")
        self.assertEqual(a["birthday"], "1370-01-05")
        self.assertEqual(a["birthday_calendar"], "persian")
        self.assertEqual(a["time_zone"], "Asia/Tehran")
        self.assertEqual((a["locale"], a["kind"]), ("fa", "member"))
        self.assertTrue(truthy(a["consent_email"]), a)
        self.assertTrue(falsy(a["consent_sms"]), a)
        self.assertEqual(json.loads(a["attributes"]), {"a": 1})
        self.assertRegex(a["created_at"], harness.RFC3339_MS)
        self.assertTrue(a["id"].isdigit())

        b = by_ref["C-1003"]
        self.assertEqual(b["family_name"], "O'Neil, \"Jr.\"")
        self.assertEqual((b["locale"], b["kind"]), ("en", "prospect"))
        self.assertEqual(b["phone"], "")
        self.assertEqual(b["time_zone"], "UTC")
        self.assertTrue(falsy(b["consent_email"]) and falsy(b["consent_sms"]), b)

        c = by_ref["C-1007"]
        self.assertEqual(c["given_name"], "علی" + ZWNJ + "رضا")
        self.assertEqual(c["phone"], "+989121110007")
        self.assertTrue(truthy(c["consent_email"]), c)
        self.assertEqual(json.loads(c["attributes"]), {"tags": ["x", "y"], "note": "a,b"})

        # The same file again updates and never duplicates.
        p = self.cli("member", "import", self.mixed)
        self.assertEqual(p.returncode, 1, (p.stdout, p.stderr))
        self.assertEqual(summary(self, p.stdout), (0, 3, 4))
        self.assertEqual(error_lines(self, p.stderr), MIXED_BAD)
        header, rows2 = self.export()
        self.assertEqual(sorted(r["id"] for r in rows2), sorted(r["id"] for r in rows))

    def test_reimport_matches_by_phone_then_email(self):
        p = self.cli("member", "import", self.mixed)
        self.assertEqual(summary(self, p.stdout), (3, 0, 4))
        ids = {r["external_ref"]: r["id"] for r in self.export()[1]}
        upd = self.write("upd.csv", csv_text([
            {"given_name": "ByPhone", "phone": "+98 912 111 0007"},       # matches C-1007 by phone
            {"given_name": "ByEmail", "email": "m1@EXAMPLE.com"},         # matches C-1001 by email
        ]))
        p = self.cli("member", "import", upd)
        self.assertEqual(p.returncode, 0, (p.stdout, p.stderr))
        self.assertEqual(summary(self, p.stdout), (0, 2, 0))
        rows = {r["id"]: r for r in self.export()[1]}
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[ids["C-1007"]]["given_name"], "ByPhone")
        self.assertEqual(rows[ids["C-1001"]]["given_name"], "ByEmail")

    def test_import_from_stdin(self):
        text = csv_text([{"external_ref": "S-1", "given_name": "Stdin"}, {"external_ref": "S-2", "email": "s2@x.org"}])
        p = self.cli("member", "import", "-", input=text)
        self.assertEqual(p.returncode, 0, (p.stdout, p.stderr))
        self.assertEqual(summary(self, p.stdout), (2, 0, 0))
        self.assertEqual(error_lines(self, p.stderr), set())
        self.assertEqual({r["external_ref"] for r in self.export()[1]}, {"S-1", "S-2"})

    def test_unknown_column_rejects_the_file(self):
        path = self.write("unknown.csv", "external_ref,given_name,favourite\nU-1,Un,blue\n")
        p = self.cli("member", "import", path)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("favourite", p.stderr)
        self.assertEqual(self.export()[1], [])
        path = self.write("noheader.csv", "")
        p = self.cli("member", "import", path)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertEqual(self.export()[1], [])

    def test_export_round_trips(self):
        p = self.cli("member", "import", self.mixed)
        self.assertEqual(summary(self, p.stdout), (3, 0, 4))
        out = os.path.join(self.root, "out.csv")
        p = self.cli("member", "export", "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, encoding="utf-8") as f:
            file_text = f.read()
        header, rows = parse_csv(file_text)
        self.assertEqual(parse_csv(self.cli("member", "export").stdout), (header, rows))

        prospects = self.export("--kind", "prospect")[1]
        self.assertEqual([r["external_ref"] for r in prospects], ["C-1003"])
        members = self.export("--kind", "member")[1]
        self.assertEqual({r["external_ref"] for r in members}, {"C-1001", "C-1007"})

        # Import the export (less the server-made columns) into a fresh data dir: the same members come out.
        data2 = os.path.join(self.root, "data2")
        self.assertEqual(run_cli(data2, "migrate").returncode, 0)
        again = self.write("again.csv", csv_text(rows, header=COLUMNS))
        p = run_cli(data2, "member", "import", again)
        self.assertEqual(p.returncode, 0, (p.stdout, p.stderr))
        self.assertEqual(summary(self, p.stdout), (3, 0, 0))
        header2, rows2 = self.export(data=data2)

        def strip(rs):
            return sorted(({c: r[c] for c in COLUMNS} for r in rs), key=lambda r: r["external_ref"])

        self.assertEqual(strip(rows2), strip(rows))


class HttpImportTest(harness.ServerCase):

    def test_import_over_http(self):
        path = API + "/members/import"
        r = self.owner.post(path, raw=MIXED_CSV.encode("utf-8"), content_type="text/csv")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["created"], r.body["updated"], r.body["rejected"]), (3, 0, 4))
        errs = {(e["line"], e["field"]) for e in r.body["errors"]}
        self.assertEqual(errs, MIXED_BAD)
        self.assertTrue(all(isinstance(e["message"], str) and e["message"] for e in r.body["errors"]))
        listed = list_all(self.owner)
        self.assertEqual({m["external_ref"] for m in listed}, GOOD_REFS)
        by_ref = {m["external_ref"]: m for m in listed}
        self.assertEqual(by_ref["C-1001"]["birthday"], {"date": "1370-01-05", "calendar": "persian"})
        self.assertEqual(by_ref["C-1001"]["phone"], "+989121110001")
        self.assertEqual(by_ref["C-1001"]["consent"], {"email": True, "sms": False})
        self.assertEqual(by_ref["C-1007"]["attributes"], {"tags": ["x", "y"], "note": "a,b"})

        r = self.owner.post(path, raw=MIXED_CSV.encode("utf-8"), content_type="text/csv")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["created"], r.body["updated"], r.body["rejected"]), (0, 3, 4))
        self.assertEqual(sorted(m["id"] for m in list_all(self.owner)), sorted(m["id"] for m in listed))

        r = self.owner.get(API + "/members/export")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "text/csv")
        header, rows = parse_csv(r.body)
        self.assertEqual(header[:3], ["id", "created_at", "updated_at"])
        self.assertEqual({x["external_ref"] for x in rows}, GOOD_REFS)
        r = self.owner.get(API + "/members/export?kind=prospect")
        self.assertEqual([x["external_ref"] for x in parse_csv(r.body)[1]], ["C-1003"])

        # An unknown column refuses the whole file; JSON is not CSV.
        before = len(list_all(self.owner))
        r = self.owner.post(path, raw=b"external_ref,favourite\nX-1,blue\n", content_type="text/csv")
        if r.status == 200:
            self.assertEqual((r.body["created"], r.body["updated"]), (0, 0), r)
            self.assertIn("favourite", json.dumps(r.body["errors"]))
        else:
            assert_problem(self, r, 400, "validation")
            self.assertIn("favourite", r.raw.decode("utf-8"))
        r = self.owner.post(path, {"external_ref": "X-2"})
        assert_problem(self, r, 415, "unsupported-media-type")
        self.assertEqual(len(list_all(self.owner)), before)

    def test_import_limit_governs_csv_not_the_body_limit(self):
        # A CSV body is bounded by --import-limit, not by the (smaller) JSON --body-limit.
        srv = harness.Server(extra_args=["--body-limit", "1024", "--import-limit", "4096"]).start()
        try:
            owner = srv.client(srv.apikey("owner"))
            small = csv_text([{"external_ref": "M-%d" % i, "given_name": "Mid%d" % i} for i in range(100)])
            self.assertTrue(1024 < len(small.encode()) < 4096, len(small.encode()))
            r = owner.post(API + "/members/import", raw=small.encode(), content_type="text/csv")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body["created"], 100)
            big = csv_text([{"external_ref": "N-%d" % i, "given_name": "Big%d" % i} for i in range(300)])
            self.assertGreater(len(big.encode()), 4096)
            r = owner.post(API + "/members/import", raw=big.encode(), content_type="text/csv")
            assert_problem(self, r, 413, "too-large")
            self.assertEqual(len(list_all(owner)), 100)
            # JSON bodies keep the body limit.
            r = owner.post(API + "/members", {"given_name": "x", "attributes": {"k": "v" * 2000}})
            assert_problem(self, r, 413, "too-large")
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_import_over_the_import_limit_is_413(self):
        limit_server = harness.Server(extra_args=["--import-limit", "2000"]).start()
        try:
            owner = limit_server.client(limit_server.apikey("owner"))
            rows = [{"external_ref": "L-%d" % i, "given_name": "Limit%d" % i} for i in range(200)]
            body = csv_text(rows).encode("utf-8")
            self.assertGreater(len(body), 2000)
            r = owner.post(API + "/members/import", raw=body, content_type="text/csv")
            assert_problem(self, r, 413, "too-large")
            self.assertEqual(list_all(owner), [])
        finally:
            self.assertEqual(limit_server.stop(), 0)


class BackupTest(harness.ServerCase):

    def test_backup_while_serving(self):
        refs = set()
        for i in range(20):
            r = self.owner.post(API + "/members", {"external_ref": "B-%d" % i, "given_name": "Backup%d" % i})
            self.assertEqual(r.status, 201, r)
            refs.add("B-%d" % i)
        out = os.path.join(self.server.root, "backup.db")
        p = self.server.cli("backup", out)
        self.assertEqual(p.returncode, 0, (p.stdout, p.stderr))
        with open(out, "rb") as f:
            self.assertEqual(f.read(16), b"SQLite format 3\x00")
        # The server still writes after the backup; the backup does not change.
        self.assertEqual(self.owner.post(API + "/members", {"given_name": "After"}).status, 201)

        db = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            self.assertIn("members", tables)
            self.assertEqual(db.execute("SELECT count(*) FROM members").fetchone()[0], 20)
            cols = {r[1] for r in db.execute("PRAGMA table_info(members)")}
            if "external_ref" in cols:
                got = {r[0] for r in db.execute("SELECT external_ref FROM members")}
                self.assertEqual(got, refs)
        finally:
            db.close()

        # Backing up onto an existing file is refused or replaces it whole; never a half file.
        p = self.server.cli("backup", out)
        if p.returncode == 0:
            db = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
            self.assertEqual(db.execute("SELECT count(*) FROM members").fetchone()[0], 21)
            db.close()


def refused(port):
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.connect(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


class ConfigPrecedenceTest(unittest.TestCase):

    def setUp(self):
        self.root = harness.make_tempdir()
        self.data = os.path.join(self.root, "data")
        self.ports = []
        while len(self.ports) < 3:
            p = harness.free_port()
            if p not in self.ports:
                self.ports.append(p)
        self.cfg = os.path.join(self.root, "bashgah.conf")
        with open(self.cfg, "w") as f:
            f.write("listen = 127.0.0.1:%d\n" % self.ports[0])
            f.write("threads = 2\n")

    def serve(self, port, env=None, listen=None):
        extra = ["--config", self.cfg]
        if listen:
            extra += ["--listen", listen]
        srv = harness.Server(data_dir=self.data, extra_args=extra, env=env, port=port, listen_flag=False)
        srv.start()
        self.addCleanup(srv.kill9)
        self.assertIn("bashgah listening on http://127.0.0.1:%d" % port, srv.stdout())
        return srv

    def test_config_file_sets_listen(self):
        srv = self.serve(self.ports[0])
        self.assertEqual(srv.stop(), 0)

    def test_env_beats_config(self):
        srv = self.serve(self.ports[1], env={"BASHGAH_LISTEN": "127.0.0.1:%d" % self.ports[1]})
        self.assertTrue(refused(self.ports[0]))
        self.assertEqual(srv.stop(), 0)

    def test_flag_beats_env_and_config(self):
        srv = self.serve(self.ports[2], env={"BASHGAH_LISTEN": "127.0.0.1:%d" % self.ports[1]},
                         listen="127.0.0.1:%d" % self.ports[2])
        self.assertTrue(refused(self.ports[0]))
        self.assertTrue(refused(self.ports[1]))
        self.assertEqual(srv.stop(), 0)

    def test_env_data_dir(self):
        # BASHGAH_DATA chooses the data dir when --data is absent.
        srv = harness.Server(env={"BASHGAH_DATA": self.data}, data_flag=False).start()
        self.addCleanup(srv.kill9)
        owner = srv.client(run_cli_key(self.data))
        r = owner.post(API + "/members", {"given_name": "EnvData"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(srv.stop(), 0)
        self.assertFalse(os.path.exists(os.path.join(srv.root, "data")) and
                         os.listdir(os.path.join(srv.root, "data")))


def run_cli_key(data):
    p = run_cli(data, "apikey", "create", "--role", "owner", "--name", "envdata")
    lines = [l.strip() for l in p.stdout.splitlines() if l.strip()]
    assert p.returncode == 0 and lines, p.stderr
    return lines[-1]


if __name__ == "__main__":
    harness.main()
