"""An import into an empty members table sets its non-unique indexes aside and builds them at the end; one
killed half-way leaves them recorded in pending_indexes, and the next open of the database builds them again.

Reads the database with Python's sqlite3 module (a second reader, as the server's own would be)."""

import os
import signal
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HEADER = "external_ref,given_name,family_name,phone,email\n"


def rows(first, count):
    return "".join("idx-%d,Given %d,Family,+98912%07d,idx%d@example.com\n" % (i, i, i, i)
                   for i in range(first, first + count))


query = harness.db_query


def member_indexes(data_dir):
    return sorted(r[0] for r in query(data_dir, "SELECT name FROM sqlite_schema WHERE type = 'index' AND "
                                                "tbl_name = 'members'"))


class ImportIndexes(unittest.TestCase):
    def setUp(self):
        self.data = os.path.join(harness.make_tempdir(), "data")
        p = harness.run_cli(self.data, "migrate")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.indexes = member_indexes(self.data)
        self.assertIn("members_kind", self.indexes)

    def test_import_builds_them_again(self):
        p = harness.run_cli(self.data, "member", "import", "-", input=HEADER + rows(0, 300))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("created=300", p.stdout)
        self.assertEqual(member_indexes(self.data), self.indexes)
        self.assertEqual(query(self.data, "SELECT count(*) FROM pending_indexes"), [(0,)])
        # A second import (members not empty) keeps them; duplicates within a file are still reported.
        p = harness.run_cli(self.data, "member", "import", "-",
                            input=HEADER + rows(0, 5) + "idx-new,Dup,Phone,+989120000001,\n")
        self.assertIn("created=0 updated=5 rejected=1", p.stdout)
        self.assertIn("line 7: phone:", p.stderr)
        self.assertEqual(member_indexes(self.data), self.indexes)

    def test_killed_import_leaves_them_for_the_next_open(self):
        args = [harness.BIN, "member", "import", "--data", self.data, "-"]
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=harness.clean_env(), cwd=os.path.dirname(self.data))
        try:
            proc.stdin.write((HEADER + rows(0, 100)).encode())
            proc.stdin.flush()
            deadline = time.monotonic() + 30
            while query(self.data, "SELECT count(*) FROM pending_indexes") == [(0,)]:
                self.assertLess(time.monotonic(), deadline, "the import never set the indexes aside")
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()
            proc.stderr.close()
        # Killed with the indexes set aside: the members table lacks them, and each is recorded.
        left = member_indexes(self.data)
        recorded = sorted(r[0] for r in query(self.data, "SELECT name FROM pending_indexes"))
        self.assertNotIn("members_kind", left)
        self.assertEqual(sorted(left + recorded), self.indexes)
        p = harness.run_cli(self.data, "verify")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(member_indexes(self.data), self.indexes)
        self.assertEqual(query(self.data, "SELECT count(*) FROM pending_indexes"), [(0,)])
        self.assertEqual(query(self.data, "PRAGMA integrity_check"), [("ok",)])
        # The same file imported again afterwards: all there, indexes too.
        p = harness.run_cli(self.data, "member", "import", "-", input=HEADER + rows(0, 100))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(query(self.data, "SELECT count(*) FROM members"), [(100,)])
        self.assertEqual(member_indexes(self.data), self.indexes)


if __name__ == "__main__":
    unittest.main()
