#!/usr/bin/env python3
"""Gives imported bench members realistic purchase aggregates, classes and RFM scores, straight in SQLite.

The segment-count benchmark (bench/run.sh) runs on a copy of the bench database. Imported members have no
purchases, so every one would be a prospect with zero spend and a count would measure nothing. This sets, by a
fixed hash of each id (the same spread every run): about 70% buyers with 1 to 40 purchases, last purchase 0 to
729 days before --now, spend, points, a class that follows from recency and frequency, and RFM scores. It writes
the members' aggregates only (member_stats; no purchases or postings): enough for segments, which read them, not
for `verify`.

Usage: segment_spread.py DB --now MS
"""

import argparse
import sqlite3
import time

SQL = """
UPDATE member_stats SET
    purchase_count = s.pc,
    total_spent_minor = s.pc * s.avg,
    points_available = s.pc * s.avg / 10000,
    points_lifetime = s.pc * s.avg / 10000,
    last_purchase_at = CASE WHEN s.pc > 0 THEN :now - s.days * 86400000 END,
    first_purchase_at = CASE WHEN s.pc > 0 THEN :now - (s.days + s.span) * 86400000 END,
    class = CASE WHEN s.pc = 0 THEN 'prospect' WHEN s.days > 365 THEN 'lapsed' WHEN s.days > 120 THEN 'at_risk'
                 WHEN s.span < 30 THEN 'new' WHEN s.pc >= 12 THEN 'main' ELSE 'occasional' END,
    class_since = :now,
    rfm_r = CASE WHEN s.pc > 0 THEN 5 - min(4, s.days / 146) END,
    rfm_f = CASE WHEN s.pc > 0 THEN 1 + min(4, s.pc / 8) END,
    rfm_m = CASE WHEN s.pc > 0 THEN 1 + min(4, s.pc * s.avg / 8000000) END,
    rfm_at = CASE WHEN s.pc > 0 THEN :now END
FROM (SELECT id,
             CASE WHEN (id * 2654435761) % 1000 < 700 THEN 1 + ((id * 40503) % 40) * ((id * 40503) % 40) / 40
                  ELSE 0 END AS pc,
             (id * 2246822519) % 730 AS days,
             (id * 3266489917) % 1000 AS span,
             50000 + (id * 668265263) % 2000000 AS avg
      FROM members) AS s
WHERE member_stats.member_id = s.id AND member_stats.erased_at IS NULL
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db")
    ap.add_argument("--now", type=int, required=True, help="ms since the epoch: what 'days ago' counts from")
    args = ap.parse_args()
    t0 = time.time()
    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode=WAL")
    with db:
        n = db.execute(SQL, {"now": args.now}).rowcount
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print("segment_spread: %d members in %.1f s" % (n, time.time() - t0))


if __name__ == "__main__":
    main()
