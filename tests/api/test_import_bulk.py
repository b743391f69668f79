"""An import into an empty members table also sets members' unique indexes aside (external_ref, phone, email:
separate CREATE UNIQUE INDEX statements since migration 0021) while no row of the file can take a key an earlier row
holds, and builds them before the first row that might. Its outcome must be the one an import with the indexes in
place gives: the same counts, the same errors (line, field, message) and the same stored members. The reference is
the same file imported into a members table that is not empty (one unrelated member first), where nothing is set
aside.

Reads the database with Python's sqlite3 module (a second reader, as the server's own would be)."""

import os
import re
import sqlite3
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HEADER = "external_ref,given_name,family_name,phone,email,consent_email,consent_sms\n"
UNIQUE = ["members_email", "members_external_ref", "members_phone"]
STORED = ("external_ref, given_name, family_name, phone, email, birthday, time_zone, locale, kind, consent_email, "
          "consent_sms, attributes, erased_at")


def row(i, ref=None, phone=None, email=None, given=None):
    ref = "bulk-%d" % i if ref is None else ref
    phone = "+98913%07d" % i if phone is None else phone
    email = "bulk%d@example.com" % i if email is None else email
    given = "Given %d" % i if given is None else given
    sms = ("", "true", "false")[i % 3]  # no cell, granted, withdrawn: a new member logs only what was given
    return "%s,%s,Family,%s,%s,true,%s\n" % (ref, given, phone, email, sms)


def plain(count):
    return "".join(row(i) for i in range(count))


query = harness.db_query


def members(data_dir):
    """Every stored member but the seed, as columns that do not depend on ids, with its consent rows."""
    rows = query(data_dir, "SELECT " + STORED + ", (SELECT count(*) FROM consent_events c WHERE c.member_id = m.id) "
                 "FROM members m WHERE coalesce(external_ref, '') != 'seed' ORDER BY id")
    return rows


def consents(data_dir):
    """Every consent row but the seed's, in id order, naming its member by external_ref (else phone)."""
    return query(data_dir, "SELECT coalesce(m.external_ref, m.phone), c.channel, c.granted, c.actor, "
                 "c.at = m.created_at FROM consent_events c JOIN members m ON m.id = c.member_id "
                 "WHERE coalesce(m.external_ref, '') != 'seed' ORDER BY c.id")


def indexes(data_dir):
    return sorted(r[0] for r in query(data_dir, "SELECT name FROM sqlite_schema WHERE type = 'index' AND "
                                                "tbl_name = 'members'"))


class ImportBulk(unittest.TestCase):
    def fresh(self):
        data = os.path.join(harness.make_tempdir(), "data")
        p = harness.run_cli(data, "migrate")
        self.assertEqual(p.returncode, 0, p.stderr)
        return data

    def seeded(self):
        data = self.fresh()
        p = harness.run_cli(data, "member", "import", "-",
                            input="external_ref,given_name,phone,email\nseed,Seed,+989990000001,seed@example.com\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        return data

    def both(self, text):
        """Imports text into a fresh and into a seeded database; returns (fresh dir, process) and the same seeded."""
        fresh, seeded = self.fresh(), self.seeded()
        a = harness.run_cli(fresh, "member", "import", "-", input=text)
        b = harness.run_cli(seeded, "member", "import", "-", input=text)
        return (fresh, a), (seeded, b)

    def assert_same(self, text):
        (fresh, a), (seeded, b) = self.both(text)
        self.assertEqual(a.returncode, b.returncode, a.stderr + b.stderr)
        self.assertEqual(a.stdout, b.stdout)
        errors = lambda p: [l for l in p.stderr.splitlines() if l.startswith("line ")]  # noqa: E731
        self.assertEqual(errors(a), errors(b))
        self.assertEqual(members(fresh), members(seeded))
        self.assertEqual(consents(fresh), consents(seeded))
        for data in (fresh, seeded):
            self.assertEqual(indexes(data), indexes(seeded))
            self.assertEqual(query(data, "SELECT count(*) FROM pending_indexes"), [(0,)])
            self.assertEqual(query(data, "PRAGMA integrity_check"), [("ok",)])
            v = harness.run_cli(data, "verify")
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        return fresh, a

    def test_schema_has_the_unique_keys_as_indexes(self):
        data = self.fresh()
        sql = query(data, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'members'")[0][0]
        self.assertNotIn("UNIQUE", sql.upper())
        for name in UNIQUE:
            self.assertIn(name, indexes(data))
        self.assertEqual(query(data, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'sqlite_autoindex_members%'"),
                         [(0,)])

    def test_migration_keeps_members_and_their_references(self):
        # A database as it was before 0021: members with UNIQUE clauses, members and consent rows in it.
        data = self.fresh()
        p = harness.run_cli(data, "member", "import", "-", input=HEADER + plain(30))
        self.assertEqual(p.returncode, 0, p.stderr)
        names = sorted(f for f in os.listdir(os.path.join(harness.SRC, "src", "store", "migrations"))
                       if f.endswith(".sql"))
        before_0021 = names.index("0021_members_unique_indexes.sql")
        db = sqlite3.connect(os.path.join(data, "bashgah.db"), timeout=10)
        try:
            sql = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'members'").fetchone()[0]
            old = re.sub(r'^CREATE TABLE "?members"?', "CREATE TABLE members_old", sql)
            for col in ("external_ref TEXT", "phone TEXT", "email TEXT"):
                old = old.replace("    %s,\n" % col, "    %s UNIQUE,\n" % col, 1)
            self.assertEqual(old.count("UNIQUE"), 3, old)
            # ... and, as before 0025, the aggregates in the member row rather than in member_stats.
            moved = [r[1] for r in db.execute("PRAGMA table_info(member_stats)") if r[1] not in ("member_id",
                                                                                              "erased_at")]
            old = old.rstrip().rstrip(")") + "".join(",\n    %s" % c for c in moved) + ")"
            idx = [r[0] for r in db.execute("SELECT sql FROM sqlite_schema WHERE type = 'index' AND "
                                            "tbl_name = 'members' AND sql NOT LIKE 'CREATE UNIQUE%'")]
            cols = ["m." + r[1] for r in db.execute("PRAGMA table_info(members)")] + ["s." + c for c in moved]
            db.execute("PRAGMA foreign_keys=OFF")
            db.executescript("BEGIN; %s; INSERT INTO members_old (%s) SELECT %s FROM members m JOIN member_stats s "
                             "ON s.member_id = m.id; DROP TABLE member_stats; DROP TABLE members; "
                             "ALTER TABLE members_old RENAME TO members; %s; PRAGMA user_version=%d; COMMIT;"
                             % (old, ", ".join(c[2:] for c in cols), ", ".join(cols), "; ".join(idx),
                                before_0021))
            self.assertEqual(db.execute("SELECT count(*) FROM sqlite_schema WHERE name LIKE "
                                        "'sqlite_autoindex_members%'").fetchone(), (3,))
            # Aggregates of every kind, for 0025 to move into member_stats.
            db.execute("UPDATE members SET purchase_count = id % 7, total_spent_minor = id * 100, points_available "
                       "= id % 5 - 2, points_lifetime = id, last_purchase_at = id * 1000, rfm_r = 1 + id % 5, "
                       "class = CASE WHEN id % 2 THEN 'main' ELSE 'occasional' END, value_minor = CASE WHEN id % 3 "
                       "THEN id END, erased_at = CASE WHEN id % 11 = 0 THEN 5 END")
            db.commit()
            aggregates = db.execute("SELECT id, erased_at, purchase_count, total_spent_minor, points_available, "
                                    "points_lifetime, last_purchase_at, rfm_r, class, value_minor FROM members "
                                    "ORDER BY id").fetchall()
        finally:
            db.close()
        stored, consent = members(data), consents(data)
        ids = query(data, "SELECT id, external_ref FROM members ORDER BY id")
        p = harness.run_cli(data, "migrate")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(query(data, "PRAGMA user_version"), [(len(names),)])
        self.assertEqual(members(data), stored)
        self.assertEqual(consents(data), consent)
        self.assertEqual(query(data, "SELECT id, external_ref FROM members ORDER BY id"), ids)
        self.assertEqual(query(data, "SELECT member_id, erased_at, purchase_count, total_spent_minor, "
                                     "points_available, points_lifetime, last_purchase_at, rfm_r, class, value_minor "
                                     "FROM member_stats ORDER BY member_id"), aggregates)
        self.assertEqual(query(data, "PRAGMA foreign_key_check"), [])
        self.assertEqual(query(data, "PRAGMA integrity_check"), [("ok",)])
        self.assertEqual(indexes(data), indexes(self.fresh()))
        self.assertEqual(query(data, "SELECT count(*) FROM pending_indexes"), [(0,)])
        p = harness.run_cli(data, "member", "import", "-", input=HEADER + row(99, phone="+989130000004"))
        self.assertIn("line 2: phone: is already used by another member", p.stderr)

    def test_no_duplicates_sets_the_keys_aside_and_builds_them(self):
        text = HEADER + plain(500)
        fresh, p = self.assert_same(text)
        self.assertIn("created=500 updated=0 rejected=0", p.stdout)
        self.assertNotIn("during=import", p.stderr)  # no row could collide: built once, at the end
        for name in UNIQUE:
            self.assertIn("index=%s" % name, p.stderr)
        # The keys hold afterwards: the same file again updates, a taken phone is refused.
        again = harness.run_cli(fresh, "member", "import", "-",
                                input=text + row(900, phone="+989130000007"))
        self.assertIn("created=0 updated=500 rejected=1", again.stdout)
        self.assertIn("line 502: phone: is already used by another member", again.stderr)

    def test_duplicates_in_the_file_give_the_same_outcome(self):
        lines = [row(i) for i in range(40)]
        lines += [
            row(1, given="Renamed"),                        # line 42: same external_ref: an update
            row(41, phone="+989130000002"),                 # 43: a new ref with row 2's phone: refused
            row(42, ref="", phone="+989130000003", email="bulk3@example.com", given="By phone"),  # 44: update by phone
            row(43, email="bulk4@example.com"),             # 45: a new ref with row 4's email: refused
            row(5),                                          # 46: the same row again: counted as updated
            row(44, email="not-an-email"),                  # 47: invalid
            row(45),                                         # 48: new
        ]
        fresh, p = self.assert_same(HEADER + "".join(lines))
        self.assertIn("created=41 updated=3 rejected=3", p.stdout)
        self.assertIn("line 43: phone: is already used by another member", p.stderr)
        self.assertIn("line 45: email: is already used by another member", p.stderr)
        self.assertIn("index=members_phone during=import", p.stderr)  # built before line 42

    def test_a_duplicate_in_a_later_chunk(self):
        # The CLI's first chunks are IMPORT_CHUNK_ROWS / 16 rows (3,125): the duplicate falls in another
        # transaction than the row it repeats.
        text = HEADER + plain(4000) + row(10, given="Late") + row(4001, phone="+989130000011")
        fresh, p = self.assert_same(text)
        self.assertIn("created=4000 updated=1 rejected=1", p.stdout)
        self.assertIn("line 4003: phone: is already used by another member", p.stderr)
        self.assertEqual(query(fresh, "SELECT given_name FROM members WHERE external_ref = 'bulk-10'"), [("Late",)])

    def test_rows_without_some_keys(self):
        # Empty keys are NULL and never collide; a row with only an email matches by email.
        lines = [row(i, ref="", email="") for i in range(20)]
        lines += [row(20, ref="", phone=""), row(21, ref="", phone="", email="bulk20@example.com", given="Again")]
        fresh, p = self.assert_same(HEADER + "".join(lines))
        self.assertIn("created=21 updated=1 rejected=0", p.stdout)


class KeysAsideWhileServing(harness.ServerCase):
    """A server writing members while a CLI import into the empty table has the unique indexes set aside (as
    store_import_begin leaves them: dropped, recorded in pending_indexes): its first member write builds them, so
    neither side can store a key the other holds."""

    def set_aside(self):
        db = sqlite3.connect(os.path.join(self.server.data_dir, "bashgah.db"), timeout=10)
        try:
            db.executescript("BEGIN IMMEDIATE; INSERT INTO pending_indexes (name, sql) SELECT name, sql FROM "
                             "sqlite_schema WHERE type = 'index' AND tbl_name = 'members' AND sql LIKE "
                             "'CREATE UNIQUE %'; DROP INDEX members_external_ref; DROP INDEX members_phone; "
                             "DROP INDEX members_email; COMMIT;")
        finally:
            db.close()
        self.assertEqual(query(self.server.data_dir, "SELECT count(*) FROM pending_indexes"), [(3,)])

    def test_member_write_builds_the_unique_indexes(self):
        self.set_aside()
        r = self.owner.post("/api/v1/members", {"external_ref": "srv-1", "given_name": "A",
                                                "phone": "+989140000001"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(query(self.server.data_dir, "SELECT count(*) FROM pending_indexes"), [(0,)])
        for name in UNIQUE:
            self.assertIn(name, indexes(self.server.data_dir))
        r = self.owner.post("/api/v1/members", {"external_ref": "srv-2", "given_name": "B",
                                                "phone": "+989140000001"})
        self.assertEqual(r.status, 409, r)
        # An update is guarded the same way.
        self.set_aside()
        member = query(self.server.data_dir, "SELECT id FROM members WHERE external_ref = 'srv-1'")[0][0]
        r = self.owner.patch("/api/v1/members/%d" % member, {"email": "srv1@example.com"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(query(self.server.data_dir, "SELECT count(*) FROM pending_indexes"), [(0,)])
        self.assertIn("members_email", indexes(self.server.data_dir))


if __name__ == "__main__":
    unittest.main()
