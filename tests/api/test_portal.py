"""API tests for the member portal: one-time sign-in codes (hashed at rest, in the message outbox for delivery, shown
to staff who may write members, logged with --demo, repeat-safe, limited per hour and per code, expiring), the
member session (cookie attributes, CSRF on writes, sign-out, no access with staff credentials and no staff access
with a member's), and the member's own endpoints: record, tier, ledger with explanations, rewards, redemptions
(with replays), profile and consent changes, and the personal-data export."""

import os
import sqlite3
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem, send, unique_phone, uniq  # noqa: E402

PORTAL = API + "/portal"
START_MS = 1_780_000_000_000  # a fixed clock, moved by the tests
MINUTE_MS = 60_000


class Member:
    """A portal client: keeps the bashgah_portal cookie and the CSRF token from sign-in."""

    def __init__(self, port):
        self.port = port
        self.cookie = None
        self.csrf = None
        self.set_cookie = None

    def request(self, method, path, body=None, csrf=True, headers=None):
        hdrs = dict(headers or {})
        if self.cookie:
            hdrs["Cookie"] = self.cookie
        if csrf and self.csrf and method != "GET":
            hdrs["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            import json
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        return send("127.0.0.1", self.port, method, path, data, hdrs)

    def ask_code(self, **who):
        return self.request("POST", PORTAL + "/code", who)

    def sign_in(self, code, **who):
        r = self.request("POST", PORTAL + "/session", dict(who, code=code))
        if r.status == 200:
            for sc in r.headers.get_all("Set-Cookie") or []:
                if sc.startswith("bashgah_portal="):
                    self.set_cookie = sc
                    self.cookie = sc.split(";")[0]
            self.csrf = r.body["csrf_token"]
        return r


class PortalCase(harness.ServerCase):
    server_kwargs = {"clock_ms": START_MS}

    def setUp(self):
        self.server.set_clock(START_MS + uniq() * 3 * 3600 * 1000)  # each test in its own hours

    def new_member(self, points=0, **fields):
        body = {"given_name": "Portal%d" % uniq(), "phone": unique_phone(), "locale": "en"}
        body.update(fields)
        r = self.owner.post(API + "/members", body)
        self.assertEqual(r.status, 201, r)
        if points:
            r2 = self.owner.post("%s/members/%d/adjustments" % (API, r.body["id"]), {"points": points, "reason": "gift"})
            self.assertEqual(r2.status, 201, r2)
        return r.body

    def pending_code(self, mid, client=None):
        r = (client or self.owner).get("%s/members/%d/portal-code" % (API, mid))
        return r.body["code"] if r.status == 200 else None

    def signed_in(self, points=0):
        m = self.new_member(points)
        c = Member(self.server.port)
        self.assertEqual(c.ask_code(phone=m["phone"]).status, 202)
        r = c.sign_in(self.pending_code(m["id"]), phone=m["phone"])
        self.assertEqual(r.status, 200, r)
        return m, c

    def db(self):
        return sqlite3.connect("file:%s?mode=ro" % os.path.join(self.server.data_dir, "bashgah.db"), uri=True)


class CodeTest(PortalCase):

    def test_code_goes_to_the_outbox_and_only_its_hash_is_kept(self):
        m = self.new_member()
        c = Member(self.server.port)
        r = c.ask_code(phone=m["phone"])
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.body, {"channel": "sms", "expires_in": 600})
        code = self.pending_code(m["id"])
        self.assertRegex(code, r"^[0-9]{6}$")
        with self.db() as db:
            rows = db.execute("SELECT salt, code_hash FROM portal_codes WHERE member_id = ?", (m["id"],)).fetchall()
            self.assertEqual(len(rows), 1)
            salt, code_hash = rows[0]
            self.assertEqual((len(salt), len(code_hash)), (16, 32))
            self.assertNotIn(code.encode(), bytes(code_hash))
            out = db.execute("SELECT kind, channel, destination, status FROM message_outbox WHERE member_id = ?",
                             (m["id"],)).fetchall()
        self.assertEqual(out, [("portal_code", "sms", m["phone"], "queued")])

    def test_email_sign_in_uses_the_email_channel(self):
        email = "p%d@example.org" % uniq()
        m = self.new_member(email=email)
        c = Member(self.server.port)
        r = c.ask_code(email=email.upper())
        self.assertEqual(r.body["channel"], "email", r)
        self.assertEqual(c.sign_in(self.pending_code(m["id"]), email=email).status, 200)

    def test_unknown_phone_gets_the_same_answer_and_writes_nothing(self):
        c = Member(self.server.port)
        phone = unique_phone()
        r = c.ask_code(phone=phone)
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.body, {"channel": "sms", "expires_in": 600})
        with self.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM message_outbox WHERE destination = ?",
                                        (phone,)).fetchone()[0], 0)
        assert_problem(self, c.sign_in("123456", phone=phone), 401, "no-code")

    def test_repeat_within_a_minute_keeps_the_code(self):
        m = self.new_member()
        c = Member(self.server.port)
        c.ask_code(phone=m["phone"])
        first = self.pending_code(m["id"])
        self.server.advance(30_000)
        self.assertEqual(c.ask_code(phone=m["phone"]).status, 202)
        self.assertEqual(self.pending_code(m["id"]), first)
        self.server.advance(40_000)
        c.ask_code(phone=m["phone"])
        with self.db() as db:
            statuses = [s for (s,) in db.execute("SELECT status FROM message_outbox WHERE member_id = ? ORDER BY id",
                                                 (m["id"],))]
        self.assertEqual(statuses, ["void", "queued"])  # the older code's message is no longer wanted

    def test_at_most_five_codes_an_hour(self):
        m = self.new_member()
        c = Member(self.server.port)
        for _ in range(5):
            self.assertEqual(c.ask_code(phone=m["phone"]).status, 202)
            self.server.advance(2 * MINUTE_MS)
        r = c.ask_code(phone=m["phone"])
        assert_problem(self, r, 429, "too-many-codes")
        self.assertTrue(r.headers.get("Retry-After"))
        self.server.advance(60 * MINUTE_MS)
        self.assertEqual(c.ask_code(phone=m["phone"]).status, 202)

    def test_validation(self):
        c = Member(self.server.port)
        assert_problem(self, c.ask_code(), 400, "validation", "phone")
        assert_problem(self, c.ask_code(phone="0912", email="a@b.org"), 400, "validation", "phone")
        assert_problem(self, c.ask_code(phone="not a phone"), 400, "validation", "phone")
        assert_problem(self, c.ask_code(email="nope"), 400, "validation", "email")
        assert_problem(self, c.ask_code(phone=unique_phone(), extra=1), 400, "validation", "extra")
        assert_problem(self, c.sign_in("12345", phone=unique_phone()), 400, "validation", "code")
        assert_problem(self, c.sign_in("12a456", phone=unique_phone()), 400, "validation", "code")

    def test_staff_view_needs_member_write(self):
        m = self.new_member()
        Member(self.server.port).ask_code(phone=m["phone"])
        cashier = self.server.client(self.server.apikey("cashier"))
        analyst = self.server.client(self.server.apikey("analyst"))
        self.assertRegex(self.pending_code(m["id"], cashier), r"^[0-9]{6}$")
        assert_problem(self, analyst.get("%s/members/%d/portal-code" % (API, m["id"])), 403, "forbidden")
        other = self.new_member()
        assert_problem(self, self.owner.get("%s/members/%d/portal-code" % (API, other["id"])), 404, "not-found")


class SignInTest(PortalCase):

    def test_wrong_codes_use_up_the_tries(self):
        m = self.new_member()
        c = Member(self.server.port)
        c.ask_code(phone=m["phone"])
        code = self.pending_code(m["id"])
        wrong = "%06d" % ((int(code) + 1) % 1_000_000)
        r = c.sign_in(wrong, phone=m["phone"])
        assert_problem(self, r, 401, "wrong-code", "code", "4 tries left")
        for _ in range(4):
            assert_problem(self, c.sign_in(wrong, phone=m["phone"]), 401, "wrong-code")
        assert_problem(self, c.sign_in(code, phone=m["phone"]), 401, "no-code")
        self.assertIsNone(c.cookie)

    def test_code_expires_after_ten_minutes(self):
        m = self.new_member()
        c = Member(self.server.port)
        c.ask_code(phone=m["phone"])
        code = self.pending_code(m["id"])
        self.server.advance(10 * MINUTE_MS + 1)
        self.assertIsNone(self.pending_code(m["id"]))
        assert_problem(self, c.sign_in(code, phone=m["phone"]), 401, "no-code")

    def test_expired_codes_and_sessions_are_purged_within_the_hour(self):
        m, c = self.signed_in()
        c.request("DELETE", PORTAL + "/session")  # nothing else holds the member's rows
        m2, c2 = self.signed_in()
        self.assertEqual(c2.ask_code(phone=m2["phone"]).status, 202)  # a live code besides the used one

        def rows(member_id):
            with self.db() as db:
                return (db.execute("SELECT count(*) FROM portal_codes WHERE member_id = ?", (member_id,)).fetchone()[0],
                        db.execute("SELECT count(*) FROM portal_sessions WHERE member_id = ?",
                                   (member_id,)).fetchone()[0])

        self.assertEqual(rows(m2["id"]), (2, 1))
        self.server.advance(2 * 60 * MINUTE_MS)  # codes expired past the hourly limit's window
        harness.wait_for(lambda: rows(m2["id"])[0] == 0, timeout=15, what="expired codes purged")
        self.assertEqual(rows(m2["id"]), (0, 1))  # the session lives for a week
        self.assertEqual(c2.request("GET", PORTAL + "/me").status, 200)
        self.server.advance(8 * 24 * 60 * MINUTE_MS)
        harness.wait_for(lambda: rows(m2["id"])[1] == 0, timeout=15, what="expired sessions purged")
        assert_problem(self, c2.request("GET", PORTAL + "/me"), 401, "unauthenticated")
        self.assertEqual(rows(m["id"]), (0, 0))

    def test_sign_in_with_persian_digits_sets_a_strict_cookie_once(self):
        m = self.new_member()
        c = Member(self.server.port)
        c.ask_code(phone=m["phone"])
        code = self.pending_code(m["id"])
        persian = "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code)
        r = c.sign_in(persian, phone=m["phone"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["member_id"], m["id"])
        attrs = [a.strip() for a in c.set_cookie.split(";")]
        for want in ("HttpOnly", "SameSite=Strict", "Path=/api/v1/portal"):
            self.assertIn(want, attrs)
        self.assertIsNone(self.pending_code(m["id"]))  # used: gone from the outbox
        assert_problem(self, Member(self.server.port).sign_in(code, phone=m["phone"]), 401, "no-code")

    def test_sign_out_ends_the_session(self):
        _, c = self.signed_in()
        assert_problem(self, c.request("DELETE", PORTAL + "/session", csrf=False), 403, "csrf")
        r = c.request("DELETE", PORTAL + "/session")
        self.assertEqual(r.status, 204, r)
        assert_problem(self, c.request("GET", PORTAL + "/me"), 401, "unauthenticated")

    def test_credentials_do_not_cross(self):
        _, c = self.signed_in()
        assert_problem(self, self.owner.get(PORTAL + "/me"), 401, "unauthenticated")
        assert_problem(self, c.request("GET", API + "/members"), 401, "unauthenticated")
        assert_problem(self, Member(self.server.port).request("GET", PORTAL + "/ledger"), 401, "unauthenticated")


class OwnDataTest(PortalCase):

    def test_me_shows_points_and_tier_progress(self):
        m, c = self.signed_in(points=120)
        r = c.request("GET", PORTAL + "/me")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["id"], m["id"])
        self.assertEqual(r.body["points"]["available"], 120)
        self.assertIn("progress", r.body["tier_progress"])
        t = c.request("GET", PORTAL + "/tier")
        self.assertEqual(t.status, 200, t)
        self.assertEqual(t.body["progress"], r.body["tier_progress"]["progress"])

    def test_ledger_explains_a_purchase(self):
        m, c = self.signed_in()
        rule = self.owner.post(API + "/rules", {"name": "one per thousand %d" % uniq(), "event": "purchase",
                                                "priority": 10,
                                                "definition": {"kind": "per_amount", "per_amount_minor": 1000}})
        self.assertEqual(rule.status, 201, rule)
        t = self.owner.post(API + "/transactions", {"type": "purchase", "member_id": m["id"], "store": "s1",
                                                    "txn_id": "p%d" % uniq(), "amount": 50_000})
        self.assertEqual(t.status, 201, t)
        r = c.request("GET", PORTAL + "/ledger")
        self.assertEqual(r.status, 200, r)
        earn = r.body["items"][0]
        self.assertEqual(earn["kind"], "earn")
        self.assertEqual(earn["points"], t.body["points_earned"])
        self.assertEqual(earn["explanation"], t.body["explanation"])
        self.assertEqual(r.body["balance"]["available"], t.body["points_earned"])
        self.owner.patch("%s/rules/%d" % (API, rule.body["id"]), {"active": False})

    def test_rewards_and_redeeming_once_per_key(self):
        m, c = self.signed_in(points=300)
        rw = self.owner.post(API + "/rewards", {"name_en": "Tea %d" % uniq(), "name_fa": "چای", "kind": "free_product",
                                                "cost_points": 100})
        self.assertEqual(rw.status, 201, rw)
        off = self.owner.post(API + "/rewards", {"name_en": "Old %d" % uniq(), "name_fa": "کهنه",
                                                 "kind": "free_product", "cost_points": 1, "active": False})
        listed = c.request("GET", PORTAL + "/rewards?limit=500")
        self.assertEqual(listed.status, 200, listed)
        ids = [x["id"] for x in listed.body["items"]]
        self.assertIn(rw.body["id"], ids)
        self.assertNotIn(off.body["id"], ids)
        self.assertNotIn("cost_minor", listed.body["items"][0])
        body = {"reward_id": rw.body["id"], "idempotency_key": "k%d" % uniq()}
        r1 = c.request("POST", PORTAL + "/redemptions", body)
        self.assertEqual(r1.status, 201, r1)
        self.assertEqual((r1.body["member_id"], r1.body["balance"]["available"]), (m["id"], 200))
        r2 = c.request("POST", PORTAL + "/redemptions", body)
        self.assertEqual((r2.status, r2.body["id"]), (201, r1.body["id"]))
        self.assertEqual(c.request("GET", PORTAL + "/me").body["points"]["available"], 200)
        mine = c.request("GET", PORTAL + "/redemptions")
        self.assertEqual([x["id"] for x in mine.body["items"]], [r1.body["id"]])
        assert_problem(self, c.request("POST", PORTAL + "/redemptions", {"reward_id": rw.body["id"],
                                                                          "member_id": m["id"] + 1}),
                       400, "validation", "member_id")
        assert_problem(self, c.request("POST", PORTAL + "/redemptions", body, csrf=False), 403, "csrf")

    def test_redeeming_more_than_one_has_is_refused(self):
        _, c = self.signed_in(points=10)
        rw = self.owner.post(API + "/rewards", {"name_en": "Big %d" % uniq(), "name_fa": "بزرگ", "kind": "gift",
                                                "cost_points": 1000})
        r = c.request("POST", PORTAL + "/redemptions", {"reward_id": rw.body["id"], "idempotency_key": "x%d" % uniq()})
        assert_problem(self, r, 409, "insufficient-points")

    def test_profile_and_consent_changes(self):
        m, c = self.signed_in()
        r = c.request("PATCH", PORTAL + "/me", {"locale": "fa", "consent": {"sms": True}, "given_name": "سارا"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["locale"], r.body["consent"]["sms"], r.body["given_name"]), ("fa", True, "سارا"))
        staff_view = self.owner.get("%s/members/%d" % (API, m["id"])).body
        self.assertEqual(staff_view["consent"]["sms"], True)
        assert_problem(self, c.request("PATCH", PORTAL + "/me", {"phone": unique_phone()}), 400, "validation", "phone")
        assert_problem(self, c.request("PATCH", PORTAL + "/me", {"kind": "prospect"}), 400, "validation", "kind")
        assert_problem(self, c.request("PATCH", PORTAL + "/me", {"locale": "de"}), 400, "validation", "locale")
        assert_problem(self, c.request("PATCH", PORTAL + "/me", {"locale": "en"}, csrf=False), 403, "csrf")

    def test_export_is_the_members_own(self):
        m, c = self.signed_in()
        c.request("PATCH", PORTAL + "/me", {"consent": {"email": True}})
        r = c.request("GET", PORTAL + "/export")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["member"]["id"], m["id"])
        self.assertTrue(r.body["consent_history"])


class DemoLogTest(harness.ServerCase):
    server_kwargs = {"extra_args": ["--demo"]}

    def test_demo_server_logs_the_code(self):
        phone = unique_phone()
        r = self.owner.post(API + "/members", {"given_name": "Demo", "phone": phone})
        self.assertEqual(r.status, 201, r)
        c = Member(self.server.port)
        self.assertEqual(c.ask_code(phone=phone).status, 202)
        code = self.owner.get("%s/members/%d/portal-code" % (API, r.body["id"])).body["code"]
        self.assertIn("event=portal_code member=%d code=%s" % (r.body["id"], code), self.server.log_text())


if __name__ == "__main__":
    harness.main()
