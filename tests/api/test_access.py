"""API tests for access: roles, API keys (create, revoke), login sessions with CSRF, lockout, audit log, users."""

import os
import re
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, OWNER_PASSWORD, assert_problem, member_count, uniq  # noqa: E402

MEMBERS = API + "/members"
APIKEYS = API + "/apikeys"
USERS = API + "/users"
AUDIT = API + "/audit"
ME = API + "/auth/me"
LOGIN = API + "/auth/login"
LOGOUT = API + "/auth/logout"
FIFTEEN_MIN_MS = 15 * 60 * 1000


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


def target_id(target):
    """The member id an audit target names: 12, "12", "member:12", "/api/v1/members/12" or {"id": 12}."""
    if isinstance(target, dict):
        target = target.get("id")
    if isinstance(target, int):
        return target
    found = re.search(r"(\d+)$", str(target))
    return int(found.group(1)) if found else None


class AccessTest(harness.ServerCase):

    def new_member(self, client=None):
        r = (client or self.owner).post(MEMBERS, {"given_name": "Acc%d" % uniq()})
        self.assertEqual(r.status, 201, r)
        return r.body

    # ----- roles

    def test_cashier(self):
        cashier = self.server.client(self.server.apikey("cashier"))
        given = "ByCashier%d" % uniq()
        r = cashier.post(MEMBERS, {"given_name": given})
        self.assertEqual(r.status, 201, r)
        mid = r.body["id"]
        r = cashier.get("%s/%d" % (MEMBERS, mid))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["id"], mid)

        r = cashier.post(APIKEYS, {"name": "sneaky", "role": "cashier"})
        assert_problem(self, r, 403, "forbidden")
        assert_problem(self, cashier.get(APIKEYS), 403, "forbidden")
        assert_problem(self, cashier.get(AUDIT), 403, "forbidden")
        assert_problem(self, cashier.get(USERS), 403, "forbidden")
        r = cashier.post(USERS, {"username": "sneaky%d" % uniq(), "password": "Sneaky-pass-123", "role": "owner"})
        assert_problem(self, r, 403, "forbidden")
        r = cashier.delete("%s/%d" % (MEMBERS, mid))
        assert_problem(self, r, 403, "forbidden")
        g = self.owner.get("%s/%d" % (MEMBERS, mid))
        self.assertEqual(g.status, 200, g)
        self.assertIsNone(g.body["erased_at"])
        self.assertEqual(g.body["given_name"], given)
        # The sneaky key was not made.
        r = self.owner.get(APIKEYS)
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("sneaky", [k.get("name") for k in r.body["items"]])

    def test_analyst_cannot_write(self):
        analyst = self.server.client(self.server.apikey("analyst"))
        m = self.new_member()
        path = "%s/%d" % (MEMBERS, m["id"])
        r = analyst.get(path)
        self.assertEqual(r.status, 200, r)
        r = analyst.get(MEMBERS)
        self.assertEqual(r.status, 200, r)
        before = member_count(self.owner)
        assert_problem(self, analyst.post(MEMBERS, {"given_name": "nope"}), 403, "forbidden")
        assert_problem(self, analyst.patch(path, {"given_name": "nope"}), 403, "forbidden")
        assert_problem(self, analyst.delete(path), 403, "forbidden")
        r = analyst.post(MEMBERS + "/import", raw="given_name\nnope\n", content_type="text/csv")
        assert_problem(self, r, 403, "forbidden")
        assert_problem(self, analyst.post(APIKEYS, {"name": "x", "role": "analyst"}), 403, "forbidden")
        self.assertEqual(member_count(self.owner), before)
        self.assertEqual(self.owner.get(path).body, m)

    def test_manager_keys(self):
        manager = self.server.client(self.server.apikey("manager"))
        name = "made-by-manager-%d" % uniq()
        r = manager.post(APIKEYS, {"name": name, "role": "cashier"})
        self.assertEqual(r.status, 201, r)
        k = r.body
        for f in ("id", "name", "role", "key", "created_at"):
            self.assertIn(f, k)
        self.assertEqual(k["name"], name)
        self.assertEqual(k["role"], "cashier")
        self.assertRegex(k["created_at"], harness.RFC3339_MS)
        me = self.server.client(k["key"]).get(ME)
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.body["kind"], "apikey")
        self.assertEqual(me.body["role"], "cashier")
        self.assertEqual(me.body["name"], name)

        # The key is shown only once: the list never carries it.
        r = manager.get(APIKEYS)
        self.assertEqual(r.status, 200, r)
        self.assertIn(name, [i["name"] for i in r.body["items"]])
        self.assertNotIn(k["key"], r.raw.decode("utf-8"))

        # A manager cannot mint an owner key; it can mint a manager key.
        before = len(manager.get(APIKEYS).body["items"])
        r = manager.post(APIKEYS, {"name": "owner-by-manager", "role": "owner"})
        assert_problem(self, r, 403, "forbidden")
        self.assertEqual(len(manager.get(APIKEYS).body["items"]), before)
        r = manager.post(APIKEYS, {"name": "mgr-by-mgr-%d" % uniq(), "role": "manager"})
        self.assertEqual(r.status, 201, r)

        # Not owner: users and audit are closed to a manager.
        assert_problem(self, manager.get(USERS), 403, "forbidden")
        assert_problem(self, manager.get(AUDIT), 403, "forbidden")

    def test_apikey_bad_role(self):
        r = self.owner.post(APIKEYS, {"name": "x", "role": "emperor"})
        assert_problem(self, r, 400, "validation", "role")
        r = self.owner.post(APIKEYS, {"role": "cashier"})
        assert_problem(self, r, 400, "validation", "name")

    def test_revoked_key_is_401(self):
        r = self.owner.post(APIKEYS, {"name": "to-revoke-%d" % uniq(), "role": "cashier"})
        self.assertEqual(r.status, 201, r)
        c = self.server.client(r.body["key"])
        self.assertEqual(c.get(ME).status, 200)
        d = self.owner.delete("%s/%s" % (APIKEYS, r.body["id"]))
        self.assertIn(d.status, (200, 204), d)
        before = member_count(self.owner)
        assert_problem(self, c.get(ME), 401, "unauthenticated")
        assert_problem(self, c.post(MEMBERS, {"given_name": "revoked"}), 401, "unauthenticated")
        self.assertEqual(member_count(self.owner), before)

    def test_apikey_cli_while_serving_and_cli_revoke(self):
        name = "cli-live-%d" % uniq()
        key = self.server.apikey("marketer", name)
        c = self.server.client(key)
        me = c.get(ME)
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.body["kind"], "apikey")
        self.assertEqual(me.body["name"], name)
        self.assertEqual(me.body["role"], "marketer")
        self.assertIn("id", me.body)
        self.assertEqual(c.get(MEMBERS).status, 200)

        listed = self.server.cli("apikey", "list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn(name, listed.stdout)
        self.assertNotIn(key, listed.stdout)

        p = self.server.cli("apikey", "revoke", "--id", me.body["id"])
        self.assertEqual(p.returncode, 0, p.stderr)
        assert_problem(self, c.get(ME), 401, "unauthenticated")

    # ----- sessions

    def test_owner_login_cookie_and_csrf(self):
        c, r = self.server.login("owner", OWNER_PASSWORD)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["user"]["username"], "owner")
        self.assertEqual(r.body["user"]["role"], "owner")
        self.assertIn("id", r.body["user"])
        self.assertIsInstance(r.body["csrf_token"], str)
        self.assertGreaterEqual(len(r.body["csrf_token"]), 16)
        cookies = [sc for sc in r.headers.get_all("Set-Cookie") or [] if sc.startswith("bashgah_session=")]
        self.assertEqual(len(cookies), 1, r.headers)
        attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
        self.assertIn("httponly", attrs)
        self.assertIn("samesite=strict", attrs)
        self.assertIn("path=/", attrs)
        self.assertGreater(len(c.cookie), len("bashgah_session=") + 16)
        self.assertNotIn(OWNER_PASSWORD, r.raw.decode("utf-8"))

        me = c.get(ME)
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.body["kind"], "user")
        self.assertEqual(me.body["name"], "owner")
        self.assertEqual(me.body["role"], "owner")

        # Reads need no CSRF token; writes do.
        self.assertEqual(c.get(MEMBERS).status, 200)
        before = member_count(self.owner)
        r = c.post(MEMBERS, {"given_name": "NoCsrf"}, csrf=False)
        assert_problem(self, r, 403, "csrf")
        r = c.post(MEMBERS, {"given_name": "BadCsrf"}, csrf=False, headers={"X-CSRF-Token": "x" + c.csrf})
        assert_problem(self, r, 403, "csrf")
        self.assertEqual(member_count(self.owner), before)
        m = self.new_member()
        r = c.delete("%s/%d" % (MEMBERS, m["id"]), csrf=False)
        assert_problem(self, r, 403, "csrf")
        self.assertIsNone(self.owner.get("%s/%d" % (MEMBERS, m["id"])).body["erased_at"])
        r = c.patch("%s/%d" % (MEMBERS, m["id"]), {"family_name": "x"}, csrf=False)
        assert_problem(self, r, 403, "csrf")

        r = c.post(MEMBERS, {"given_name": "WithCsrf%d" % uniq()})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(member_count(self.owner), before + 2)

        # A CSRF token alone (no cookie) is not a credential.
        bare = self.server.client()
        r = bare.post(MEMBERS, {"given_name": "x"}, headers={"X-CSRF-Token": c.csrf})
        assert_problem(self, r, 401, "unauthenticated")

        # Logout ends the session.
        r = c.post(LOGOUT)
        self.assertEqual(r.status, 204, r)
        assert_problem(self, c.get(ME), 401, "unauthenticated")
        r = c.post(MEMBERS, {"given_name": "AfterLogout"})
        assert_problem(self, r, 401, "unauthenticated")
        self.assertEqual(member_count(self.owner), before + 2)

    def test_wrong_password_and_unknown_user(self):
        c, r = self.server.login("owner", OWNER_PASSWORD + "x")
        assert_problem(self, r, 401)
        self.assertIsNone(harness.session_cookie(r.headers))
        c, r2 = self.server.login("nobody-%d" % uniq(), OWNER_PASSWORD)
        assert_problem(self, r2, 401)
        # The answer does not tell which was wrong.
        self.assertEqual(r.body.get("detail"), r2.body.get("detail"))
        c = self.server.client()
        r = c.post(LOGIN, {"username": "owner"})
        self.assertIn(r.status, (400, 401), r)
        # A forged cookie is no session.
        c.cookie = "bashgah_session=forged"
        assert_problem(self, c.get(ME), 401, "unauthenticated")

    # ----- audit

    def test_audit_log(self):
        name = "auditor-%d" % uniq()
        key = self.server.apikey("manager", name)
        mgr = self.server.client(key)
        me = mgr.get(ME).body
        r = mgr.post(MEMBERS, {"given_name": "Audited", "family_name": "Before"})
        self.assertEqual(r.status, 201, r)
        m = r.body
        r = mgr.patch("%s/%d" % (MEMBERS, m["id"]), {"family_name": "After"})
        self.assertEqual(r.status, 200, r)

        entries = audit_all(self.owner)
        for e in entries:
            for f in ("id", "at", "actor", "action", "target", "before", "after"):
                self.assertIn(f, e)

        def about(e):
            blob = [e.get("after"), e.get("before")]
            return any(isinstance(b, dict) and b.get("id") == m["id"] for b in blob) or \
                target_id(e.get("target")) == m["id"]

        creates = [e for e in entries if e["action"] == "member.create" and about(e)]
        self.assertEqual(len(creates), 1, creates)
        c = creates[0]
        self.assertEqual(c["actor"]["kind"], "apikey")
        self.assertEqual(c["actor"]["id"], me["id"])
        self.assertEqual(c["actor"]["name"], name)
        self.assertIsNone(c["before"])
        self.assertEqual(c["after"]["given_name"], "Audited")
        self.assertEqual(c["after"]["family_name"], "Before")
        self.assertRegex(c["at"], harness.RFC3339_MS)

        updates = [e for e in entries if e["action"] == "member.update" and about(e)]
        self.assertEqual(len(updates), 1, updates)
        u = updates[0]
        self.assertEqual(u["actor"]["name"], name)
        self.assertEqual(u["before"]["family_name"], "Before")
        self.assertEqual(u["after"]["family_name"], "After")

        # A session user shows as a user.
        s, r = self.server.login("owner", OWNER_PASSWORD)
        self.assertEqual(r.status, 200, r)
        r = s.post(MEMBERS, {"given_name": "BySession%d" % uniq()})
        self.assertEqual(r.status, 201, r)
        entries = audit_all(self.owner)
        mine = [e for e in entries if e["action"] == "member.create" and isinstance(e["after"], dict)
                and e["after"].get("id") == r.body["id"]]
        self.assertEqual(len(mine), 1, mine)
        self.assertEqual(mine[0]["actor"]["kind"], "user")
        self.assertEqual(mine[0]["actor"]["name"], "owner")

        # Pages of the audit log cover every entry once.
        seen, cursor = [], None
        while True:
            r = self.owner.get(AUDIT + "?limit=2" + ("&cursor=" + harness.urlquote(cursor) if cursor else ""))
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.body["items"]), 2)
            seen.extend(e["id"] for e in r.body["items"])
            cursor = r.body["next_cursor"]
            if not cursor:
                break
        all_ids = [e["id"] for e in audit_all(self.owner)]
        self.assertEqual(seen, all_ids)
        self.assertEqual(len(set(seen)), len(seen))

    # ----- users

    def test_user_add_via_cli(self):
        u = "alice%d" % uniq()
        p = self.server.cli("user", "add", "--username", u, "--role", "marketer", "--password", "Alice-pass-1234")
        self.assertEqual(p.returncode, 0, p.stderr)
        c, r = self.server.login(u, "Alice-pass-1234")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["user"]["role"], "marketer")
        self.assertEqual(c.get(ME).body["role"], "marketer")

        # Without --password a password is generated and printed.
        u2 = "bob%d" % uniq()
        p = self.server.cli("user", "add", "--username", u2, "--role", "analyst")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        self.assertTrue(lines, p.stdout)
        generated = lines[-1].split()[-1]
        c, r = self.server.login(u2, generated)
        self.assertEqual(r.status, 200, (p.stdout, r))
        self.assertEqual(r.body["user"]["role"], "analyst")

        listed = self.server.cli("user", "list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn(u, listed.stdout)
        self.assertIn(u2, listed.stdout)
        self.assertNotIn("Alice-pass-1234", listed.stdout)

        # passwd changes it.
        p = self.server.cli("user", "passwd", "--username", u, "--password", "Alice-new-pass-5678")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.server.login(u, "Alice-pass-1234")[1].status, 401)
        self.assertEqual(self.server.login(u, "Alice-new-pass-5678")[1].status, 200)

        # Duplicate username and bad role are refused.
        p = self.server.cli("user", "add", "--username", u, "--role", "marketer", "--password", "Other-pass-1234")
        self.assertNotEqual(p.returncode, 0)
        p = self.server.cli("user", "add", "--username", "x%d" % uniq(), "--role", "emperor", "--password", "Pass-12345678")
        self.assertNotEqual(p.returncode, 0)

    def test_user_add_via_api(self):
        u = "carol%d" % uniq()
        r = self.owner.post(USERS, {"username": u, "password": "Carol-pass-1234", "role": "cashier"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["username"], u)
        self.assertEqual(r.body["role"], "cashier")
        self.assertNotIn("Carol-pass-1234", r.raw.decode("utf-8"))
        self.assertNotIn("password", r.body)
        uid = r.body["id"]

        r = self.owner.get(USERS)
        self.assertEqual(r.status, 200, r)
        self.assertIn(u, [x["username"] for x in r.body["items"]])
        self.assertNotIn("hash", r.raw.decode("utf-8").lower())
        self.assertNotIn("$argon2", r.raw.decode("utf-8"))

        c, r = self.server.login(u, "Carol-pass-1234")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["user"]["role"], "cashier")
        assert_problem(self, c.get(AUDIT), 403, "forbidden")

        r = self.owner.post(USERS, {"username": u, "password": "Carol-pass-9999", "role": "cashier"})
        assert_problem(self, r, 409, "conflict", field="username")
        r = self.owner.post(USERS, {"username": "dave%d" % uniq(), "password": "Dave-pass-1234", "role": "emperor"})
        assert_problem(self, r, 400, "validation", field="role")

        r = self.owner.patch("%s/%s" % (USERS, uid), {"role": "analyst"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["role"], "analyst")
        c, r = self.server.login(u, "Carol-pass-1234")
        self.assertEqual(r.body["user"]["role"], "analyst")
        assert_problem(self, c.post(MEMBERS, {"given_name": "x"}), 403, "forbidden")

        # Also via a session (owner with CSRF).
        s, r = self.server.login("owner", OWNER_PASSWORD)
        u3 = "erin%d" % uniq()
        r = s.post(USERS, {"username": u3, "password": "Erin-pass-1234", "role": "manager"}, csrf=False)
        assert_problem(self, r, 403, "csrf")
        r = s.post(USERS, {"username": u3, "password": "Erin-pass-1234", "role": "manager"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.server.login(u3, "Erin-pass-1234")[1].status, 200)


class LockoutTest(unittest.TestCase):
    """10 wrong passwords lock the account for 15 minutes, measured on the server's (test) clock."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(clock_ms=harness.now_ms()).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise harness.ServerFailed("SIGTERM exit code %s\n%s" % (rc, cls.server.log_text()))

    def test_lockout_and_clock(self):
        srv = self.server
        user, pw = "locky%d" % uniq(), "Locky-pass-1234"
        p = srv.cli("user", "add", "--username", user, "--role", "cashier", "--password", pw)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(srv.login(user, pw)[1].status, 200)

        for i in range(10):
            r = srv.login(user, "wrong-%d" % i)[1]
            self.assertEqual(r.status, 401, (i, r))
        r = srv.login(user, pw)[1]
        assert_problem(self, r, 429, "locked")
        ra = r.headers.get("Retry-After")
        self.assertIsNotNone(ra, r.headers)
        self.assertTrue(ra.strip().isdigit(), ra)
        self.assertGreater(int(ra), 0)
        self.assertLessEqual(int(ra), 15 * 60)
        self.assertIsNone(harness.session_cookie(r.headers))
        # Another user is not locked.
        self.assertEqual(srv.login("owner", OWNER_PASSWORD)[1].status, 200)

        # Still locked just before 15 minutes have passed, with a smaller Retry-After.
        srv.advance(FIFTEEN_MIN_MS - 60 * 1000)
        r = srv.login(user, pw)[1]
        assert_problem(self, r, 429, "locked")
        self.assertLessEqual(int(r.headers.get("Retry-After")), 61)

        srv.advance(60 * 1000 + 1000)
        c, r = srv.login(user, pw)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(c.get(ME).status, 200)

    def test_failures_spread_out_do_not_lock(self):
        srv = self.server
        user, pw = "spread%d" % uniq(), "Spread-pass-1234"
        p = srv.cli("user", "add", "--username", user, "--role", "cashier", "--password", pw)
        self.assertEqual(p.returncode, 0, p.stderr)
        for i in range(9):
            self.assertEqual(srv.login(user, "wrong")[1].status, 401)
        srv.advance(FIFTEEN_MIN_MS + 1000)      # those 9 are now older than 15 minutes
        self.assertEqual(srv.login(user, "wrong")[1].status, 401)
        c, r = srv.login(user, pw)
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    harness.main()
