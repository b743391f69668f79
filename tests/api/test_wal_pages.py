"""bench/wal_pages.py, the diagnostic of which b-trees a purchase writes (docs/performance.md), on a real WAL.

A server records purchases of three members and is killed with SIGKILL, so its WAL is left as it was; the tool
then reads copies of the database and the WAL. Its counts are checked against the WAL itself: every commit
frame counted, the purchases recorded since FIRST_ID, and the b-trees that every purchase must have written."""

import os
import re
import shutil
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, SRC  # noqa: E402

TOOL = os.path.join(SRC, "bench", "wal_pages.py")
PURCHASES = 24


class WalPages(unittest.TestCase):
    def test_frames_of_purchases_are_named_and_counted(self):
        srv = harness.Server().start()
        owner = srv.client(srv.apikey("owner"))
        members = []
        for i in range(3):
            r = owner.post(API + "/members", {"external_ref": "WP-%d" % harness.uniq(), "given_name": "Buyer"})
            self.assertEqual(r.status, 201, r)
            members.append(r.body["id"])
        first_id = harness.db_query(srv.data_dir, "SELECT coalesce(max(id), 0) + 1 FROM transactions")[0][0]
        for i in range(PURCHASES):
            r = owner.post(API + "/transactions", {"type": "purchase", "member_id": members[i % 3], "store": "S1",
                                                   "txn_id": "WP-%d" % harness.uniq(), "amount": 150000 + i})
            self.assertEqual(r.status, 201, r)
        srv.kill9()  # the WAL stays as the last commit left it: no checkpoint, no removal at close
        out_dir = harness.make_tempdir("bashgah-walpages-")
        db, wal = os.path.join(out_dir, "copy.db"), os.path.join(out_dir, "copy.db-wal-copy")
        shutil.copyfile(os.path.join(srv.data_dir, "bashgah.db"), db)
        shutil.copyfile(os.path.join(srv.data_dir, "bashgah.db-wal"), wal)
        with open(wal, "rb") as f:
            wal_bytes = f.read()

        p = subprocess.run(["/usr/bin/python3", TOOL, db, wal, str(first_id)], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(wal, "rb") as f:
            self.assertEqual(f.read(), wal_bytes, "the tool must not change its inputs")
        head = re.search(r"frames (\d+) in (\d+) commits", p.stdout)
        self.assertIsNotNone(head, p.stdout)
        frames, commits = int(head.group(1)), int(head.group(2))
        # The WAL holds every commit since the server started (the schema, the key, the members, the purchases):
        # at least one, and no more frames than the file has room for.
        page_size = int.from_bytes(wal_bytes[8:12], "big")
        self.assertTrue(1 <= commits <= frames <= (len(wal_bytes) - 32) // (24 + page_size), p.stdout)
        self.assertIn("transactions recorded %d:" % PURCHASES, p.stdout)
        rows = dict((name.strip(), (int(n), int(d))) for n, d, name in
                    re.findall(r"^\s*(\d+)\s+[\d.]+\s+(\d+)\s+[\d.]+\s+(.+)$", p.stdout, re.M))
        total = rows.pop("(all)")
        self.assertEqual(total[0], frames, p.stdout)
        self.assertEqual(sum(n for n, d in rows.values()), frames, p.stdout)
        # Each page belongs to one b-tree, and is written by at least one of its frames.
        self.assertEqual(sum(d for n, d in rows.values()), total[1], p.stdout)
        for tree, (n, d) in rows.items():
            self.assertTrue(1 <= d <= n, "%s: %d pages in %d frames\n%s" % (tree, d, n, p.stdout))
        for tree in ("members", "transactions", "transactions_member", "sqlite_autoindex_transactions_1"):
            self.assertGreater(rows.get(tree, (0, 0))[0], 0, "%s not among the frames:\n%s" % (tree, p.stdout))
        # The three buyers' aggregates share one page, rewritten by each purchase's commit: many frames, few pages.
        n, d = rows["member_stats"]
        self.assertGreaterEqual(n, PURCHASES, p.stdout)
        self.assertLessEqual(d, 2, p.stdout)

    def test_usage_without_arguments(self):
        p = subprocess.run(["/usr/bin/python3", TOOL], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Usage: bench/wal_pages.py DATABASE WAL", p.stderr)


if __name__ == "__main__":
    harness.main()
