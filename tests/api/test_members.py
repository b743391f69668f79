"""API tests for members: create/get/patch/list/search/erase/export, duplicates and Idempotency-Key replays."""

import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, RFC3339_MS, assert_problem, list_all, uniq, unique_phone, urlquote  # noqa: E402

MEMBERS = API + "/members"
ZWNJ = "\u200c"


class MembersTest(harness.ServerCase):

    def create(self, body, headers=None):
        r = self.owner.post(MEMBERS, body, headers=headers)
        self.assertEqual(r.status, 201, r)
        return r.body

    def ids(self, items):
        return [m["id"] for m in items]

    # ----- create and get

    def test_create_round_trips_every_field(self):
        body = {
            "external_ref": "C-%d" % uniq(),
            "given_name": "محمد" + ZWNJ + "رضا",
            "family_name": "علی" + ZWNJ + "پور",
            "phone": "۰۹۱۲۱۲۳۴۵۶۷",
            "email": "Sara.Ali@Example.COM",
            "birthday": {"date": "1370-01-05", "calendar": "persian"},
            "time_zone": "Asia/Tehran",
            "locale": "fa",
            "kind": "prospect",
            "consent": {"email": True, "sms": False},
            "attributes": {"tier": "طلایی", "visits": 3, "tags": ["a", "b"], "vip": True, "nested": {"x": None}},
        }
        r = self.owner.post(MEMBERS, body)
        self.assertEqual(r.status, 201, r)
        m = r.body
        self.assertIsInstance(m["id"], int)
        loc = r.headers.get("Location")
        self.assertIsNotNone(loc, r)
        self.assertTrue(loc.endswith("%s/%d" % (MEMBERS, m["id"])), loc)

        self.assertEqual(m["external_ref"], body["external_ref"])
        self.assertEqual(m["given_name"], body["given_name"])
        self.assertEqual(m["family_name"], body["family_name"])
        self.assertIn(ZWNJ, m["family_name"])
        self.assertEqual(m["phone"], "+989121234567")
        self.assertEqual(m["email"], "sara.ali@example.com")
        self.assertEqual(m["birthday"], {"date": "1370-01-05", "calendar": "persian"})
        self.assertEqual(m["time_zone"], "Asia/Tehran")
        self.assertEqual(m["locale"], "fa")
        self.assertEqual(m["kind"], "prospect")
        self.assertEqual(m["consent"], {"email": True, "sms": False})
        self.assertRegex(m["consent_at"]["email"], RFC3339_MS)
        self.assertIsNone(m["consent_at"]["sms"])
        self.assertEqual(m["attributes"], body["attributes"])
        self.assertRegex(m["created_at"], RFC3339_MS)
        self.assertRegex(m["updated_at"], RFC3339_MS)
        self.assertIsNone(m["erased_at"])

        g = self.owner.get("%s/%d" % (MEMBERS, m["id"]))
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.body, m)
        # The Location header leads to the same member.
        path = re.sub(r"^https?://[^/]+", "", loc)
        self.assertEqual(self.owner.get(path).body, m)

    def test_defaults_on_create(self):
        m = self.create({"given_name": "Default%d" % uniq()})
        self.assertEqual(m["time_zone"], "UTC")
        self.assertEqual(m["locale"], "fa")
        self.assertEqual(m["kind"], "member")
        self.assertEqual(m["consent"], {"email": False, "sms": False})
        self.assertEqual(m["consent_at"], {"email": None, "sms": None})
        self.assertEqual(m["attributes"], {})
        for f in ("external_ref", "family_name", "phone", "email", "birthday", "erased_at"):
            self.assertIsNone(m[f], f)
        self.assertEqual(m["created_at"], m["updated_at"])

    def test_phone_normalisation(self):
        cases = [
            ("00989121234568", "+989121234568"),
            ("(0912) 123 4569", "+989121234569"),
            ("٠٩١٢١٢٣٤٥٧٠", "+989121234570"),          # Arabic-Indic digits
            ("0912-123-4571", "+989121234571"),
            ("+98 912 123 4572", "+989121234572"),
            ("+1 415 555 0100", "+14155550100"),
        ]
        for given, want in cases:
            with self.subTest(phone=given):
                m = self.create({"phone": given})
                self.assertEqual(m["phone"], want)

    def test_birthday_with_persian_digits(self):
        m = self.create({"given_name": "Bday%d" % uniq(), "birthday": {"date": "۱۳۷۰-۰۱-۰۵", "calendar": "persian"}})
        self.assertEqual(m["birthday"], {"date": "1370-01-05", "calendar": "persian"})
        m = self.create({"given_name": "Bday%d" % uniq(), "birthday": {"date": "2024-02-29", "calendar": "gregorian"}})
        self.assertEqual(m["birthday"], {"date": "2024-02-29", "calendar": "gregorian"})

    def test_get_missing_is_404(self):
        r = self.owner.get(MEMBERS + "/987654321")
        assert_problem(self, r, 404, "not-found")
        r = self.owner.patch(MEMBERS + "/987654321", {"given_name": "x"})
        assert_problem(self, r, 404, "not-found")
        r = self.owner.delete(MEMBERS + "/987654321")
        assert_problem(self, r, 404, "not-found")
        r = self.owner.get(MEMBERS + "/987654321/export")
        assert_problem(self, r, 404, "not-found")

    # ----- patch

    def test_patch_is_a_merge_patch(self):
        m = self.create({"given_name": "Patch", "family_name": "Me%d" % uniq(), "email": "patch%d@example.com" % uniq(),
                         "attributes": {"a": 1, "b": "two", "c": [3]}, "locale": "fa"})
        path = "%s/%d" % (MEMBERS, m["id"])
        r = self.owner.patch(path, {"family_name": None, "locale": "en",
                                    "attributes": {"b": None, "d": "دی"}})
        self.assertEqual(r.status, 200, r)
        p = r.body
        self.assertEqual(p["id"], m["id"])
        self.assertIsNone(p["family_name"])
        self.assertEqual(p["given_name"], "Patch")            # untouched fields stay
        self.assertEqual(p["email"], m["email"])
        self.assertEqual(p["locale"], "en")
        self.assertEqual(p["attributes"], {"a": 1, "c": [3], "d": "دی"})
        self.assertEqual(p["created_at"], m["created_at"])
        self.assertGreaterEqual(p["updated_at"], m["updated_at"])
        self.assertEqual(self.owner.get(path).body, p)

        # An empty patch changes nothing.
        r = self.owner.patch(path, {})
        self.assertEqual(r.status, 200, r)
        for f in ("given_name", "family_name", "email", "locale", "attributes"):
            self.assertEqual(r.body[f], p[f], f)

        # Consent: turning email consent on records when.
        r = self.owner.patch(path, {"consent": {"email": True, "sms": False}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["consent"], {"email": True, "sms": False})
        self.assertRegex(r.body["consent_at"]["email"], RFC3339_MS)
        self.assertIsNone(r.body["consent_at"]["sms"])

        # Phone is normalised on patch too, and can be cleared.
        r = self.owner.patch(path, {"phone": "۰۹۱۲ ۵۵۵ ۱۲۳۴"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body["phone"], "+989125551234")
        r = self.owner.patch(path, {"phone": None})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.body["phone"])
        self.assertIsNone(self.owner.get(path).body["phone"])

    # ----- list

    def test_list_pagination_covers_everything_once(self):
        for i in range(7):
            self.create({"given_name": "Page%d" % i, "external_ref": "PG-%d" % uniq()})
        everything = list_all(self.owner)
        all_ids = self.ids(everything)
        self.assertGreaterEqual(len(all_ids), 7)
        self.assertEqual(all_ids, sorted(all_ids))
        self.assertEqual(len(all_ids), len(set(all_ids)))

        seen = []
        cursor = None
        pages = 0
        while True:
            q = "?limit=3" + ("&cursor=" + urlquote(cursor) if cursor else "")
            r = self.owner.get(MEMBERS + q)
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.body["items"]), 3)
            seen.extend(self.ids(r.body["items"]))
            pages += 1
            cursor = r.body["next_cursor"]
            if cursor is None:
                break
            self.assertIsInstance(cursor, str)
            self.assertLess(pages, 1000)
        self.assertEqual(seen, all_ids)
        self.assertGreaterEqual(pages, 3)

        # Default limit is 50.
        for i in range(50 - len(all_ids) + 1):
            self.create({"given_name": "Fill%d" % i})
        r = self.owner.get(MEMBERS)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.body["items"]), 50)
        self.assertIsNotNone(r.body["next_cursor"])
        r = self.owner.get(MEMBERS + "?limit=500")
        self.assertIsNone(r.body["next_cursor"])
        r = self.owner.get(MEMBERS + "?limit=1")
        self.assertEqual(len(r.body["items"]), 1)

    def test_list_filters_kind_and_locale(self):
        tag = uniq()
        p_en = self.create({"given_name": "FiltA%d" % tag, "kind": "prospect", "locale": "en"})
        p_fa = self.create({"given_name": "FiltB%d" % tag, "kind": "prospect", "locale": "fa"})
        m_en = self.create({"given_name": "FiltC%d" % tag, "kind": "member", "locale": "en"})

        prospects = list_all(self.owner, "kind=prospect")
        self.assertTrue(all(m["kind"] == "prospect" for m in prospects))
        self.assertIn(p_en["id"], self.ids(prospects))
        self.assertIn(p_fa["id"], self.ids(prospects))
        self.assertNotIn(m_en["id"], self.ids(prospects))

        members = list_all(self.owner, "kind=member")
        self.assertTrue(all(m["kind"] == "member" for m in members))
        self.assertIn(m_en["id"], self.ids(members))
        self.assertNotIn(p_en["id"], self.ids(members))

        en = list_all(self.owner, "locale=en")
        self.assertTrue(all(m["locale"] == "en" for m in en))
        self.assertIn(p_en["id"], self.ids(en))
        self.assertIn(m_en["id"], self.ids(en))
        self.assertNotIn(p_fa["id"], self.ids(en))

        both = list_all(self.owner, "kind=prospect&locale=en")
        self.assertTrue(all(m["kind"] == "prospect" and m["locale"] == "en" for m in both))
        self.assertIn(p_en["id"], self.ids(both))
        self.assertNotIn(p_fa["id"], self.ids(both))
        self.assertNotIn(m_en["id"], self.ids(both))

        # Filtered pages also paginate exactly once each.
        seen, cursor = [], None
        while True:
            r = self.owner.get(MEMBERS + "?kind=prospect&limit=1" + ("&cursor=" + urlquote(cursor) if cursor else ""))
            self.assertEqual(r.status, 200, r)
            seen.extend(self.ids(r.body["items"]))
            cursor = r.body["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, self.ids(prospects))

    # ----- search

    def search(self, q, extra=""):
        return list_all(self.owner, "q=" + urlquote(q) + extra)

    def test_search_phone_prefix(self):
        a = self.create({"phone": "+989355510001", "given_name": "Ph1"})
        b = self.create({"phone": "+989355510002", "given_name": "Ph2"})
        c = self.create({"phone": "+989355520003", "given_name": "Ph3"})
        found = self.search("+98935551")
        self.assertEqual(sorted(self.ids(found)), sorted([a["id"], b["id"]]))
        found = self.search("+9893555")
        self.assertEqual(sorted(self.ids(found)), sorted([a["id"], b["id"], c["id"]]))
        found = self.search("+989355510002")
        self.assertEqual(self.ids(found), [b["id"]])

    def test_search_phone_prefix_local_and_persian_digits(self):
        a = self.create({"phone": "+989366610001", "given_name": "Lp1"})
        b = self.create({"phone": "+989366620001", "given_name": "Lp2"})
        self.assertEqual(self.ids(self.search("093666100")), [a["id"]])
        self.assertEqual(self.ids(self.search("۰۹۳۶۶۶۱۰۰")), [a["id"]])
        self.assertEqual(sorted(self.ids(self.search("۰۹۳۶۶۶"))), sorted([a["id"], b["id"]]))

    def test_search_email_prefix(self):
        t = uniq()
        a = self.create({"email": "search%d.alpha@example.com" % t})
        b = self.create({"email": "search%d.beta@example.org" % t})
        found = self.search("search%d.alpha@" % t)
        self.assertEqual(self.ids(found), [a["id"]])
        found = self.search("search%d.beta@example.o" % t)
        self.assertEqual(self.ids(found), [b["id"]])
        found = self.search("search%d.gamma@" % t)
        self.assertEqual(found, [])

    def test_search_name_prefix_with_arabic_letters(self):
        # Stored with Persian yeh (ی U+06CC) and keheh (ک U+06A9).
        a = self.create({"given_name": "یاسمین", "family_name": "کیمیاگریان"})
        b = self.create({"given_name": "یاسمین", "family_name": "رضایی"})
        c = self.create({"given_name": "کیوان", "family_name": "کیمیاگریان"})
        # Query with Arabic yeh (ي U+064A) and kaf (ك U+0643).
        self.assertEqual(sorted(self.ids(self.search("كيمياگر"))), sorted([a["id"], c["id"]]))
        self.assertEqual(self.ids(self.search("ياسم كيمي")), [a["id"]])
        self.assertEqual(self.ids(self.search("كيوان")), [c["id"]])
        self.assertEqual(sorted(self.ids(self.search("یاسمین"))), sorted([a["id"], b["id"]]))
        # A word in the middle of a name is not a prefix.
        self.assertEqual(self.search("میاگریان"), [])

    def test_search_name_with_zwnj_and_latin(self):
        t = uniq()
        a = self.create({"given_name": "Zed%d" % t, "family_name": "علی" + ZWNJ + "پورزاده"})
        self.assertIn(a["id"], self.ids(self.search("علی" + ZWNJ + "پورز")))
        self.assertEqual(self.ids(self.search("Zed%d" % t)), [a["id"]])
        self.assertEqual(self.ids(self.search("Zed%d علی" % t)), [a["id"]])

    def test_search_like_wildcards_are_literal(self):
        self.create({"given_name": "Wild%d" % uniq()})
        self.assertEqual(self.search("%"), [])
        self.assertEqual(self.search("_"), [])
        self.assertEqual(self.search("W%"), [])

    # ----- erase

    def test_erase_anonymises_and_frees_unique_fields(self):
        t = uniq()
        phone = unique_phone()
        body = {"external_ref": "ER-%d" % t, "given_name": "Erase", "family_name": "Me%d" % t, "phone": phone,
                "email": "erase%d@example.com" % t, "birthday": {"date": "1990-05-06", "calendar": "gregorian"},
                "consent": {"email": True, "sms": True}, "attributes": {"secret": "x"}}
        m = self.create(body)
        path = "%s/%d" % (MEMBERS, m["id"])
        r = self.owner.delete(path)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.raw, b"")

        g = self.owner.get(path)
        self.assertEqual(g.status, 200, g)
        e = g.body
        self.assertEqual(e["id"], m["id"])
        for f in ("given_name", "family_name", "phone", "email", "birthday", "attributes", "external_ref"):
            self.assertIsNone(e[f], f)
        self.assertEqual(e["consent"], {"email": False, "sms": False})
        self.assertRegex(e["erased_at"], RFC3339_MS)
        self.assertEqual(e["created_at"], m["created_at"])
        # The aggregates' row keeps a copy of the erasure (segments and audiences read it there); the update that
        # erases is the one that changes it.
        stored = harness.db_query(self.server.data_dir, "SELECT m.erased_at, s.erased_at FROM members m JOIN "
                                  "member_stats s ON s.member_id = m.id WHERE m.id = ?", m["id"])
        self.assertEqual(len(stored), 1)
        self.assertIsNotNone(stored[0][0])
        self.assertEqual(stored[0][0], stored[0][1])
        # No trace of the personal data anywhere in the record.
        for secret in (body["family_name"], phone, body["email"], body["external_ref"], "secret"):
            self.assertNotIn(secret, g.raw.decode("utf-8"))

        self.assertNotIn(m["id"], self.ids(list_all(self.owner)))
        self.assertEqual(self.search(phone), [])
        self.assertEqual(self.search(body["email"]), [])

        again = self.create({"external_ref": body["external_ref"], "phone": phone, "email": body["email"]})
        self.assertNotEqual(again["id"], m["id"])
        self.assertEqual(again["phone"], phone)

    # ----- personal-data export

    def test_personal_data_export(self):
        t = uniq()
        m = self.create({"given_name": "Export%d" % t, "email": "export%d@example.com" % t,
                         "consent": {"email": True, "sms": False}})
        self.owner.patch("%s/%d" % (MEMBERS, m["id"]), {"consent": {"email": False, "sms": True}})
        r = self.owner.get("%s/%d/export" % (MEMBERS, m["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "application/json")
        x = r.body
        self.assertEqual(x["member"]["id"], m["id"])
        self.assertEqual(x["member"]["email"], "export%d@example.com" % t)
        self.assertEqual(x["member"]["consent"], {"email": False, "sms": True})
        self.assertIsInstance(x["consent_history"], list)
        self.assertGreaterEqual(len(x["consent_history"]), 2, x["consent_history"])
        self.assertIsInstance(x["audit"], list)
        actions = [a.get("action") for a in x["audit"]]
        self.assertIn("member.create", actions)
        self.assertIn("member.update", actions)

    # ----- duplicates

    def test_duplicates_are_409_naming_the_field(self):
        t = uniq()
        phone = unique_phone()
        a = self.create({"external_ref": "DUP-%d" % t, "phone": phone, "email": "dup%d@example.com" % t})
        before = len(list_all(self.owner))
        cases = [
            ("phone", {"given_name": "d1", "phone": phone}),
            ("phone", {"given_name": "d2", "phone": "0" + phone[3:]}),                # same number, local form
            ("email", {"given_name": "d3", "email": "DUP%d@Example.com" % t}),         # same after lowercasing
            ("external_ref", {"given_name": "d4", "external_ref": "DUP-%d" % t}),
        ]
        for field, body in cases:
            with self.subTest(field=field, body=body):
                r = self.owner.post(MEMBERS, body)
                assert_problem(self, r, 409, "conflict", field=field)
        self.assertEqual(len(list_all(self.owner)), before)

        # PATCH into a duplicate is a conflict too and changes nothing.
        b = self.create({"given_name": "dup-b%d" % t})
        r = self.owner.patch("%s/%d" % (MEMBERS, b["id"]), {"phone": phone, "given_name": "changed"})
        assert_problem(self, r, 409, "conflict", field="phone")
        self.assertEqual(self.owner.get("%s/%d" % (MEMBERS, b["id"])).body, b)
        self.assertEqual(self.owner.get("%s/%d" % (MEMBERS, a["id"])).body, a)

    # ----- idempotency

    def test_idempotency_key_replay(self):
        t = uniq()
        key = "idem-%d" % t
        body = {"external_ref": "IDEM-%d" % t, "given_name": "Idem"}
        before = len(list_all(self.owner))
        r1 = self.owner.post(MEMBERS, body, headers={"Idempotency-Key": key})
        self.assertEqual(r1.status, 201, r1)
        self.assertNotEqual((r1.headers.get("Idempotent-Replayed") or "").lower(), "true")
        r2 = self.owner.post(MEMBERS, body, headers={"Idempotency-Key": key})
        self.assertEqual(r2.status, 201, r2)
        self.assertEqual(r2.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(r2.body, r1.body)
        after = list_all(self.owner)
        self.assertEqual(len(after), before + 1)
        self.assertEqual([m["id"] for m in after if m["external_ref"] == body["external_ref"]], [r1.body["id"]])

        # Same key, different body: 409 idempotency-conflict, nothing written.
        r3 = self.owner.post(MEMBERS, {"external_ref": "IDEM-other-%d" % t, "given_name": "Idem"},
                             headers={"Idempotency-Key": key})
        assert_problem(self, r3, 409, "idempotency-conflict")
        self.assertEqual(len(list_all(self.owner)), before + 1)

        # A replayed failure is the same failure (same status and body).
        k2 = "idem-fail-%d" % t
        f1 = self.owner.post(MEMBERS, {"external_ref": "IDEM-%d" % t}, headers={"Idempotency-Key": k2})
        assert_problem(self, f1, 409, "conflict", field="external_ref")
        f2 = self.owner.post(MEMBERS, {"external_ref": "IDEM-%d" % t}, headers={"Idempotency-Key": k2})
        self.assertEqual((f2.status, f2.body), (f1.status, f1.body))

        # Without a key, the same body is a new request (here: a duplicate).
        r4 = self.owner.post(MEMBERS, body)
        assert_problem(self, r4, 409, "conflict", field="external_ref")

    def test_idempotency_key_on_patch(self):
        m = self.create({"given_name": "IdemPatch%d" % uniq()})
        path = "%s/%d" % (MEMBERS, m["id"])
        key = "idem-patch-%d" % uniq()
        r1 = self.owner.patch(path, {"family_name": "Once"}, headers={"Idempotency-Key": key})
        self.assertEqual(r1.status, 200, r1)
        r2 = self.owner.patch(path, {"family_name": "Once"}, headers={"Idempotency-Key": key})
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(r2.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(r2.body, r1.body)
        r3 = self.owner.patch(path, {"family_name": "Twice"}, headers={"Idempotency-Key": key})
        assert_problem(self, r3, 409, "idempotency-conflict")
        self.assertEqual(self.owner.get(path).body["family_name"], "Once")


if __name__ == "__main__":
    harness.main()
