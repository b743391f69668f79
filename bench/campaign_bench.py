#!/usr/bin/env python3
"""The campaigns step of bench/run.sh: a bonus to a segment of N members (ids 1..N of the generated members, a
static segment) against a budget smaller than the segment needs. Times the launch (its answer: the first chunk of
the audience assigned as a roll-out wave) and then the rest of the assignment and the grants, in chunks by the grant
job, until the wave is complete and no treated member is due, then checks the cap is exact: spent is the largest
multiple of the bonus within the budget, as many rows were granted as spent / bonus, the rest refused for the budget,
and the points that left campaign:ID equal spent. Prints one line of key=value.

The server's CPU time over the same span (user + system, from /proc/PID/stat) is printed beside the wall clock:
on a shared host it says what the work itself cost.

usage: campaign_bench.py BASE_URL API_KEY DB_PATH N [SERVER_PID]"""

import os

import json
import sqlite3
import sys
import time
import urllib.error
import urllib.request

BONUS = 10


def call(base, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"null")


def cpu_s(pid):
    """User + system CPU seconds of process pid so far (0 when unknown)."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main():
    base, key, db_path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    pid = sys.argv[5] if len(sys.argv) > 5 else None
    # The members bought during the purchase step: the give-back guard rail would (rightly) refuse a bonus this
    # large against their revenue. This step measures the cap, so the rail is lifted for it.
    call(base, key, "PATCH", "/api/v1/programme", {"guard_giveback_max_permille": 1000})
    seg = call(base, key, "POST", "/api/v1/segments", {"name": "bench campaign", "members": list(range(1, n + 1))})
    budget = BONUS * n - BONUS * (n // 7) - 3  # about 6/7 of the segment fit; 3 points over a multiple
    camp = call(base, key, "POST", "/api/v1/campaigns", {
        "name": "bench bonus", "audience": {"kind": "segment", "segment_id": seg["id"]},
        "offer": {"kind": "bonus_points", "points": BONUS}, "budget": {"money": 10 ** 15, "points": budget}})
    cid = camp["id"]
    c0 = cpu_s(pid) if pid else 0.0
    t0 = time.time()
    launched = call(base, key, "POST", "/api/v1/campaigns/%d/state" % cid, {"to": "running", "reason": "bench"})
    t1 = time.time()
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=60)
    while True:
        due = con.execute("SELECT count(*) FROM campaign_assignments WHERE campaign_id = ? AND granted_at IS NULL AND "
                          "refused IS NULL AND arm IN ('pilot', 'rollout')", (cid,)).fetchone()[0]
        assigning = con.execute("SELECT count(*) FROM campaign_waves WHERE campaign_id = ? AND assigned_upto IS NOT "
                                "NULL", (cid,)).fetchone()[0]
        if due == 0 and assigning == 0:
            break
        if time.time() - t0 > 600:
            sys.exit("campaign_bench: grants still due after 600 s")
        time.sleep(0.05)
    t2 = time.time()
    cpu = (cpu_s(pid) - c0) if pid else 0.0
    spent = call(base, key, "GET", "/api/v1/campaigns/%d" % cid)["spent"]["points"]
    rows = dict(con.execute("SELECT coalesce(refused, 'granted'), count(*) FROM campaign_assignments WHERE "
                            "campaign_id = ? GROUP BY 1", (cid,)).fetchall())
    posted = con.execute("SELECT coalesce(sum(points), 0) FROM postings WHERE from_account = ?",
                         ("campaign:%d" % cid,)).fetchone()[0]
    want = budget // BONUS * BONUS
    exact = (spent == want and rows.get("granted", 0) == want // BONUS and posted == spent and
             rows.get("granted", 0) + rows.get("budget", 0) == n and launched["state"] == "running")
    print("members=%d budget=%d spent=%d want=%d granted=%d refused=%d posted=%d launch_s=%.2f grant_s=%.2f "
          "total_s=%.2f server_cpu_s=%.2f exact=%d" % (n, budget, spent, want, rows.get("granted", 0),
                                                     rows.get("budget", 0), posted, t1 - t0, t2 - t1, t2 - t0, cpu,
                                                     1 if exact else 0))
    return 0 if exact else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except urllib.error.HTTPError as e:  # a refusal is a failure of the step, not a cap that was missed
        print("campaign_bench: %s %s: %s" % (e.code, e.reason, e.read().decode(errors="replace")), file=sys.stderr)
        sys.exit(2)
