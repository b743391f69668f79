#!/usr/bin/python3
"""Which tables and indexes the frames of a WAL file belong to, per commit and per transaction recorded.

Usage: bench/wal_pages.py DATABASE WAL [FIRST_ID]

DATABASE is a copy of bashgah.db and WAL a copy of its -wal file, taken together after the server was stopped
with kill -9 (so that nothing checkpointed or removed the WAL): see docs/performance.md, "Durable purchases".
Both are copied again into a temporary directory, so the inputs are never changed. The frames counted are those
of the WAL's current generation (its salt) up to its last commit, each named by the b-tree its page belongs to
once the WAL is applied (SQLite's dbstat table), with how many distinct pages they are (a checkpoint copies each
page once, however many frames changed it). With FIRST_ID, the id of the first transaction of the load
(one more than SELECT max(id) FROM transactions before it), the counts are also divided by the transactions
recorded since: that is frames per purchase when the load was purchases and the WAL never started again during
it (its checkpoint sequence, printed, is then 0 for a server started on a database without a WAL).
"""
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
from collections import Counter

WAL_HEADER = 32
FRAME_HEADER = 24


def wal_frames(path):
    """The WAL's checkpoint sequence and the page numbers of the frames of its current generation, up to its
    last commit frame, and how many commits those are."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < WAL_HEADER:
        return 0, [], 0
    page_size, sequence = struct.unpack(">II", data[8:16])
    salt = data[16:24]
    pages, committed, commits = [], 0, 0
    off = WAL_HEADER
    while off + FRAME_HEADER + page_size <= len(data):
        page, size_after = struct.unpack(">II", data[off:off + 8])
        if data[off + 8:off + 16] != salt:
            break  # a frame of the generation before: the WAL started again from its beginning
        pages.append(page)
        if size_after:  # a commit frame
            committed, commits = len(pages), commits + 1
        off += FRAME_HEADER + page_size
    return sequence, pages[:committed], commits


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    sequence, pages, commits = wal_frames(argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bashgah.db")
        shutil.copyfile(argv[1], db)
        shutil.copyfile(argv[2], db + "-wal")
        con = sqlite3.connect(db)
        owner = dict((pageno, name) for name, pageno in con.execute("SELECT name, pageno FROM dbstat"))
        recorded = (con.execute("SELECT count(*) FROM transactions WHERE id >= ?", (int(argv[3]),)).fetchone()[0]
                    if len(argv) == 4 else 0)
        con.close()
    print("WAL checkpoint sequence %d; frames %d in %d commits, %.1f a commit" %
          (sequence, len(pages), commits, len(pages) / max(commits, 1)))
    if recorded:
        print("transactions recorded %d: %.2f frames each" % (recorded, len(pages) / recorded))
    name_of = lambda page: owner.get(page, "(free, or past the end)")
    frames_of, pages_of = Counter(map(name_of, pages)), Counter(map(name_of, set(pages)))
    per = recorded or max(commits, 1)
    print("%8s %6s %8s %6s  %s" % ("frames", "each", "pages", "each", "b-tree (pages: distinct ones, what a checkpoint "
                                   "of this WAL writes into the database)"))
    for name, n in frames_of.most_common():
        print("%8d %6.2f %8d %6.2f  %s" % (n, n / per, pages_of[name], pages_of[name] / per, name))
    print("%8d %6.2f %8d %6.2f  (all)" % (len(pages), len(pages) / per, len(set(pages)), len(set(pages)) / per))

if __name__ == "__main__":
    main(sys.argv)
