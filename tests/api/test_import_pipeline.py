"""`bashgah member import` of a file larger than one chunk: rows are validated while the chunk before is written, and
still every rejected row is reported once, in line order (validation errors and taken keys alike), a later row of
the same file updates the member an earlier one created, a rejected row writes nothing, and importing the file
again updates rather than duplicates. Reads the database with Python's sqlite3 module."""

import os
import re
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CHUNK = 50000  # IMPORT_CHUNK_ROWS in src/app/import.h (the first chunks are smaller: 3125, 6250, ...)
ROWS = 2 * CHUNK + 5000  # data rows: lines 2 .. ROWS + 1
HEADER = "external_ref,given_name,family_name,phone,email,consent_email,consent_sms,attributes\n"
SUMMARY = re.compile(r"created=(\d+) updated=(\d+) rejected=(\d+)")
ERROR_LINE = re.compile(r"^line (\d+): (\w+): (.+)$")

# line -> (row text, the field its error names, or None for a good row); every other line is an ordinary row
BAD_PHONE = 12
BAD_EMAIL = CHUNK + 7          # in a later chunk
TAKEN_PHONE = CHUNK + 500      # a new external_ref with the phone of line 3's member: refused by the writer
BEFORE_TAKEN = TAKEN_PHONE - 1  # a validation error just before and after it
AFTER_TAKEN = TAKEN_PHONE + 1
DUPLICATE = 2 * CHUNK + 100    # line 20's external_ref again, chunks later: an update of that member
BAD_LAST = ROWS + 1            # the very last line
EXPECTED_ERRORS = [(BAD_PHONE, "phone"), (BEFORE_TAKEN, "kind"), (TAKEN_PHONE, "phone"), (AFTER_TAKEN, "attributes"),
                   (BAD_EMAIL, "email"), (BAD_LAST, "consent_sms")]


def ordinary(line):
    consent = "true" if line % 2 else "false"
    return "P-%d,Given %d,Family,+98915%07d,p%d@example.com,%s,%s,\"{\"\"n\"\":%d}\"\n" % (
        line, line, line, line, consent, "1" if line % 3 == 0 else "", line)


def special(line):
    if line == BAD_PHONE:
        return "P-%d,Given,Family,+98915,p%d@example.com,,,\n" % (line, line)
    if line == BAD_EMAIL:
        return "P-%d,Given,Family,+98915%07d,not-an-email,,,\n" % (line, line)
    if line == TAKEN_PHONE:
        return "P-new-%d,Given,Family,+98915%07d,new%d@example.com,true,,\n" % (line, 3, line)
    if line == BEFORE_TAKEN:  # made bad by write_file through its kind column
        return "P-%d,Given,Family,+98915%07d,p%d@example.com,,,\n" % (line, line, line)
    if line == AFTER_TAKEN:
        return "P-%d,Given,Family,+98915%07d,p%d@example.com,,,[1]\n" % (line, line, line)
    if line == DUPLICATE:
        return "P-20,Later,Family,+98915%07d,p20@example.com,false,true,\"{\"\"later\"\":true}\"\n" % 20
    if line == BAD_LAST:
        return "P-%d,Given,Family,+98915%07d,p%d@example.com,,maybe,\n" % (line, line, line)
    return None


def write_file(path):
    # One header with a kind column, so that line BEFORE_TAKEN can carry a bad kind.
    header = HEADER.rstrip("\n") + ",kind\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        for line in range(2, ROWS + 2):
            text = special(line) or ordinary(line)
            kind = "vip" if line == BEFORE_TAKEN else ""
            f.write(text.rstrip("\n") + "," + kind + "\n")


query = harness.db_query


class ImportPipeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.make_tempdir()
        cls.csv = os.path.join(cls.tmp, "big.csv")
        write_file(cls.csv)

    def setUp(self):
        self.data = os.path.join(harness.make_tempdir(), "data")

    def run_import(self):
        p = harness.run_cli(self.data, "member", "import", self.csv, timeout=600)
        m = SUMMARY.search(p.stdout)
        self.assertIsNotNone(m, (p.stdout, p.stderr[-2000:]))
        errors = []
        for text in p.stderr.splitlines():
            e = ERROR_LINE.match(text)
            if e:
                errors.append((int(e.group(1)), e.group(2)))
        return p, tuple(int(g) for g in m.groups()), errors

    def test_big_file_in_chunks(self):
        p, counts, errors = self.run_import()
        self.assertEqual(p.returncode, 1, p.stderr[-2000:])
        # Reported once each, in line order, across chunks: validation errors and the taken phone alike.
        self.assertEqual(errors, sorted(EXPECTED_ERRORS), p.stderr[-2000:])
        self.assertIn("line %d: phone: is already used by another member" % TAKEN_PHONE, p.stderr)
        rejected = len(EXPECTED_ERRORS)
        good = ROWS - rejected
        self.assertEqual(counts, (good - 1, 1, rejected))  # the duplicate line updated line 20's member

        self.assertEqual(query(self.data, "SELECT count(*) FROM members")[0][0], good - 1)
        # A rejected row wrote nothing.
        self.assertEqual(query(self.data, "SELECT count(*) FROM members WHERE external_ref IN (?, ?, ?)",
                               "P-%d" % BAD_PHONE, "P-new-%d" % TAKEN_PHONE, "P-%d" % BAD_LAST)[0][0], 0)
        # The later line of P-20 updated it: its name, consent and attributes (merged).
        name, consent_email, consent_sms, attrs = query(
            self.data, "SELECT given_name, consent_email, consent_sms, attributes FROM members "
                       "WHERE external_ref = 'P-20'")[0]
        self.assertEqual((name, consent_email, consent_sms), ("Later", 0, 1))
        self.assertEqual(attrs, '{"n":20,"later":true}')
        # Every consent given is on record, P-20's later change too: one event per row with consent_email true
        # (odd lines), one per row with consent_sms 1, plus P-20's sms.
        good_lines = [ln for ln in range(2, ROWS + 2) if special(ln) is None]
        expected = sum(1 for ln in good_lines if ln % 2) + sum(1 for ln in good_lines if ln % 3 == 0) + 1
        self.assertEqual(query(self.data, "SELECT count(*) FROM consent_events")[0][0], expected)
        # Foreign keys hold though the import did not check them row by row.
        self.assertEqual(query(self.data, "PRAGMA foreign_key_check"), [])
        self.assertEqual(query(self.data, "SELECT count(*) FROM members_fts WHERE members_fts MATCH 'later'")[0][0], 1)

        # The same file again: nothing new, the same rows refused, in the same order.
        p, counts, errors = self.run_import()
        self.assertEqual(errors, sorted(EXPECTED_ERRORS), p.stderr[-2000:])
        self.assertEqual(counts, (0, good, rejected))
        self.assertEqual(query(self.data, "SELECT count(*) FROM members")[0][0], good - 1)
        v = harness.run_cli(self.data, "verify")
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)


if __name__ == "__main__":
    unittest.main()
