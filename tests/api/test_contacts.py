"""API tests for contacts (people beyond the members): create with the members' checks on personal fields,
get, list by kind with cursors, patch, delete, errors naming the field, a taken external reference, the audit
and who may do what."""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem  # noqa: E402

CONTACTS = API + "/contacts"


class ContactsTest(harness.ServerCase):

    def create(self, body, client=None):
        r = (client or self.owner).post(CONTACTS, body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers.get("location"), "%s/%d" % (CONTACTS, r.body["id"]))
        return r.body

    def test_create_get_patch_delete(self):
        c = self.create({"kind": "partner", "organisation": "Pars Dairy", "department": "Sales",
                         "given_name": "Sara", "family_name": "Karimi", "phone": "09121234567",
                         "email": "Sara@Example.com", "locale": "en", "time_zone": "Asia/Tehran",
                         "consent": {"email": True}})
        self.assertEqual(c["phone"], "+989121234567")       # normalised as a member's phone
        self.assertEqual(c["email"], "sara@example.com")
        self.assertEqual(c["consent"], {"email": True, "sms": False})
        self.assertEqual(c["organisation"], "Pars Dairy")
        r = self.owner.get("%s/%d" % (CONTACTS, c["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, c)
        r = self.owner.patch("%s/%d" % (CONTACTS, c["id"]), {"department": None, "consent": {"sms": True}})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.body["department"])
        self.assertEqual(r.body["consent"], {"email": True, "sms": True})
        self.assertEqual(r.body["given_name"], "Sara")
        audit = self.owner.get(API + "/audit?limit=500")
        self.assertEqual(audit.status, 200, audit)
        mine = [a for a in audit.body["items"] if a["target"] == {"type": "contact", "id": c["id"]}]
        self.assertEqual([a["action"] for a in mine], ["contact.create", "contact.update"], audit.body["items"][:3])
        self.assertEqual(self.owner.delete("%s/%d" % (CONTACTS, c["id"])).status, 204)
        assert_problem(self, self.owner.get("%s/%d" % (CONTACTS, c["id"])), 404, "not-found")
        assert_problem(self, self.owner.delete("%s/%d" % (CONTACTS, c["id"])), 404, "not-found")

    def test_errors_name_the_field_and_write_nothing(self):
        before = self.owner.get(CONTACTS + "?limit=500").body["items"]
        assert_problem(self, self.owner.post(CONTACTS, {"given_name": "No kind"}), 400, "validation", "kind")
        assert_problem(self, self.owner.post(CONTACTS, {"kind": "enemy", "given_name": "X"}), 400, "validation",
                       "kind")
        assert_problem(self, self.owner.post(CONTACTS, {"kind": "press", "phone": "12"}), 400, "validation", "phone")
        assert_problem(self, self.owner.post(CONTACTS, {"kind": "press", "email": "not-an-address"}), 400,
                       "validation", "email")
        assert_problem(self, self.owner.post(CONTACTS, {"kind": "press", "given_name": "A", "birthday": "x"}), 400,
                       "validation", "birthday")
        assert_problem(self, self.owner.post(CONTACTS, {"kind": "press", "organisation": "Only an org"}), 400,
                       "validation")  # nobody to reach
        self.assertEqual(self.owner.get(CONTACTS + "?limit=500").body["items"], before)

    def test_external_ref_is_unique(self):
        ref = "C-%d" % harness.uniq()
        a = self.create({"kind": "staff", "given_name": "A", "external_ref": ref})
        assert_problem(self, self.owner.post(CONTACTS, {"kind": "staff", "given_name": "B", "external_ref": ref}),
                       409, "conflict", "external_ref")
        b = self.create({"kind": "staff", "given_name": "B"})
        assert_problem(self, self.owner.patch("%s/%d" % (CONTACTS, b["id"]), {"external_ref": ref}), 409,
                       "conflict", "external_ref")
        self.assertEqual(self.owner.get("%s/%d" % (CONTACTS, a["id"])).body["external_ref"], ref)

    def test_list_by_kind_with_cursor(self):
        ids = [self.create({"kind": "sponsor", "given_name": "S%d" % i})["id"] for i in range(5)]
        self.create({"kind": "press", "given_name": "P"})
        seen, cursor = [], None
        for _ in range(10):
            q = "?kind=sponsor&limit=2" + ("&cursor=" + harness.urlquote(cursor) if cursor else "")
            r = self.owner.get(CONTACTS + q)
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.body["items"]), 2)
            seen += [c["id"] for c in r.body["items"]]
            cursor = r.body["next_cursor"]
            if not cursor:
                break
        every = [c["id"] for c in self.owner.get(CONTACTS + "?limit=500").body["items"] if c["kind"] == "sponsor"]
        self.assertEqual(seen, every)
        self.assertEqual(seen[-5:], ids)
        assert_problem(self, self.owner.get(CONTACTS + "?kind=enemy"), 400, "validation", "kind")

    def test_csv_import_creates_updates_and_lists_rejected_rows(self):
        ref = "IMP-%d" % harness.uniq()
        self.create({"kind": "press", "given_name": "Old", "external_ref": ref})
        csv_text = ("\ufeffKind,given_name,organisation,external_ref,email,consent_email,locale\r\n"
                    "staff,Nima,HQ,,nima@club.example,yes,fa\r\n"
                    "press,Renamed,Daily News,%s,,,en\r\n"
                    "enemy,Bad,,,,,\r\n"
                    "partner,Pari,\"Pars, Ltd\",,pari@example,maybe,en\r\n"
                    "sponsor,Sam,Big Co,,sam@big.example,no,en\r\n" % ref)
        r = self.owner.request("POST", CONTACTS + "/import", raw=csv_text.encode(), content_type="text/csv")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["created"], r.body["updated"], r.body["rejected"]), (2, 1, 2), r.body)
        errs = {(e["line"], e["field"]) for e in r.body["errors"]}
        self.assertIn((4, "kind"), errs)
        self.assertTrue({(5, "email"), (5, "consent.email")} <= errs, errs)
        items = self.owner.get(CONTACTS + "?limit=500").body["items"]
        by_name = {c["given_name"]: c for c in items}
        self.assertEqual((by_name["Nima"]["kind"], by_name["Nima"]["consent"]["email"]), ("staff", True))
        self.assertEqual((by_name["Renamed"]["external_ref"], by_name["Renamed"]["organisation"]),
                         (ref, "Daily News"))
        self.assertNotIn("Old", by_name)
        self.assertNotIn("Pari", by_name)
        self.assertEqual(by_name["Sam"]["consent"]["email"], False)
        assert_problem(self, self.owner.request("POST", CONTACTS + "/import", raw=b"kind,shoe_size\r\nstaff,42\r\n",
                                                content_type="text/csv"), 400, "validation", "shoe_size")
        assert_problem(self, self.owner.request("POST", CONTACTS + "/import", raw=b"kind\r\n\"staff\r\n",
                                                content_type="text/csv"), 400, "validation", "row")
        assert_problem(self, self.owner.request("POST", CONTACTS + "/import", raw=b"kind\r\n",
                                                content_type="application/json"), 415)

    def test_roles(self):
        analyst = self.server.client(self.server.apikey("analyst"))
        cashier = self.server.client(self.server.apikey("cashier"))
        marketer = self.server.client(self.server.apikey("marketer"))
        c = self.create({"kind": "staff", "given_name": "M"}, client=marketer)
        self.assertEqual(analyst.get("%s/%d" % (CONTACTS, c["id"])).status, 200)
        assert_problem(self, analyst.post(CONTACTS, {"kind": "staff", "given_name": "A"}), 403)
        assert_problem(self, cashier.get(CONTACTS), 403)


if __name__ == "__main__":
    harness.main()
