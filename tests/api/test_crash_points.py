"""The crash test for points: an acknowledged purchase is never lost nor doubled.

Client threads post purchases (unique txn_ids, a few members, two stores, some with items) on keep-alive
connections; the server is killed with SIGKILL after ~2 s while requests are in flight, and restarted on the
same data dir. Then:
  - every purchase answered 201 is there: GET /transactions/{id} gives the same store, txn_id, amount and points;
  - replaying its body answers 201 with Idempotent-Replayed: true and the first answer, unchanged;
  - a purchase whose answer was lost in the kill, posted again (as a till would), answers 201 (created now or
    replayed), never a conflict;
  - each (store, txn_id) is in the database exactly once, and each member's points and purchase count equal
    the sum over their recorded purchases;
  - `bashgah verify` exits 0 (run while the server runs).
Two rounds on one data dir."""

import http.client
import json
import os
import sqlite3
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API  # noqa: E402

MEMBERS = API + "/members"
TXNS = API + "/transactions"
THREADS = 6
NMEMBERS = 4
RUN_BEFORE_KILL_S = 2.0
ROUNDS = 2


def purchase_body(member_id, round_no, n, i):
    body = {"type": "purchase", "member_id": member_id, "store": "S%d" % (1 + (n + i) % 2),
            "txn_id": "crash-r%d-t%d-%d" % (round_no, n, i), "amount": 10000 + (i * 7919 + n * 104729) % 600000}
    if i % 3 == 0:
        body["items"] = [{"sku": "SKU-%d" % (i % 7), "category": "dairy" if i % 2 else "bakery", "quantity": 1,
                          "amount": body["amount"]}]
    return body


class Writer(threading.Thread):
    """Posts purchases on a keep-alive connection until stopped or the server goes away."""

    def __init__(self, port, key, round_no, n, members):
        super().__init__(daemon=True)
        self.port, self.key, self.round_no, self.n, self.members = port, key, round_no, n, members
        self.acked = []      # (body, answer) answered 201
        self.unknown = []    # bodies sent whose answer never came
        self.other = []      # any other answer (must not happen)
        self.stop = threading.Event()

    def run(self):
        conn = None
        i = 0
        while not self.stop.is_set():
            body = purchase_body(self.members[(self.n + i) % len(self.members)], self.round_no, self.n, i)
            i += 1
            data = json.dumps(body).encode()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("POST", TXNS, data, {"Authorization": "Bearer " + self.key,
                                                  "Content-Type": "application/json"})
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException):
                # The server is gone (or going): this purchase's fate is unknown, which is allowed.
                self.unknown.append(body)
                if conn is not None:
                    conn.close()
                conn = None
                if self.stop.is_set():
                    break
                time.sleep(0.01)
                continue
            if resp.status == 201:
                self.acked.append((body, json.loads(raw)))
            else:
                self.other.append((body["txn_id"], resp.status, raw[:300]))
        if conn is not None:
            conn.close()


class Conn:
    """A keep-alive connection for the checks after the restart (reconnects when the server closes it)."""

    def __init__(self, port, key):
        self.port, self.key, self.c = port, key, None

    def request(self, method, path, body=None):
        for attempt in range(2):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                hdrs = {"Authorization": "Bearer " + self.key}
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    hdrs["Content-Type"] = "application/json"
                self.c.request(method, path, data, hdrs)
                resp = self.c.getresponse()
                raw = resp.read()
                if (resp.getheader("Connection") or "").lower() == "close":
                    self.c.close()
                    self.c = None
                return resp.status, resp.getheader("Idempotent-Replayed"), json.loads(raw) if raw else None
            except (OSError, http.client.HTTPException):
                if self.c is not None:
                    self.c.close()
                self.c = None
                if attempt:
                    raise

    def close(self):
        if self.c is not None:
            self.c.close()


class CrashPointsTest(unittest.TestCase):
    maxDiff = 4000

    def db(self, srv, sql, *args):
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(srv.data_dir, "bashgah.db"), uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def check_round(self, srv, key, acked, unknown, members):
        conn = Conn(srv.port, key)
        try:
            lost, changed, bad_replays = [], [], []
            for body, first in acked:
                status, _, got = conn.request("GET", "%s/%d" % (TXNS, first["id"]))
                if status != 200:
                    lost.append((first["id"], body["txn_id"], status))
                    continue
                if [got.get(k) for k in ("store", "txn_id", "amount", "member_id", "points_earned", "explanation")] != \
                        [first[k] for k in ("store", "txn_id", "amount", "member_id", "points_earned", "explanation")]:
                    changed.append((first, got))
                status, replayed, again = conn.request("POST", TXNS, body)
                if status != 201 or replayed != "true" or again != first:
                    bad_replays.append((body["txn_id"], status, replayed, again, first))
            self.assertEqual(lost, [], "%d of %d acknowledged purchases lost after kill -9" % (len(lost), len(acked)))
            self.assertEqual(changed, [], "acknowledged purchases changed after kill -9")
            self.assertEqual(bad_replays[:5], [], "%d replays did not answer the first answer" % len(bad_replays))
            # The purchases whose answers were lost: posting them again is safe.
            retried = []
            for body in unknown:
                status, replayed, got = conn.request("POST", TXNS, body)
                if status != 201 or got.get("txn_id") != body["txn_id"] or got.get("amount") != body["amount"]:
                    retried.append((body["txn_id"], status, got))
            self.assertEqual(retried, [], "a purchase sent during the kill could not be posted again")
            # Exactly once in the database, and each member's points agree with their purchases.
            keys = [(b["store"], b["txn_id"]) for b, _ in acked] + [(b["store"], b["txn_id"]) for b in unknown]
            counts = dict(((s, t), n) for s, t, n in self.db(
                srv, "SELECT store, txn_id, count(*) FROM transactions GROUP BY store, txn_id"))
            wrong = [(k, counts.get(k, 0)) for k in keys if counts.get(k, 0) != 1]
            self.assertEqual(wrong, [], "purchases not recorded exactly once")
            for mid in members:
                status, _, m = conn.request("GET", "%s/%d" % (MEMBERS, mid))
                self.assertEqual(status, 200, m)
                n, points, spent = self.db(srv, "SELECT count(*), coalesce(sum(points), 0), coalesce(sum(amount_minor), 0) "
                                                "FROM transactions WHERE member_id = ? AND type = 'purchase'", mid)[0]
                self.assertEqual(m["points"], {"available": points, "pending": 0, "lifetime": points}, mid)
                self.assertEqual((m["aggregates"]["purchase_count"], m["aggregates"]["total_spent"]), (n, spent), mid)
                status, _, led = conn.request("GET", "%s/%d/ledger?limit=500" % (MEMBERS, mid))
                self.assertEqual(status, 200, led)
                self.assertEqual(led["balance"], m["points"])
        finally:
            conn.close()
        p = srv.cli("verify")
        self.assertEqual(p.returncode, 0, "bashgah verify after kill -9:\n" + p.stdout + p.stderr)

    def test_acknowledged_purchases_survive_kill9_exactly_once(self):
        srv = harness.Server().start()
        key = srv.apikey("owner")
        owner = srv.client(key)
        for rule in ({"name": "base", "priority": 10, "definition": {"kind": "per_amount", "per_amount_minor": 10000}},
                     {"name": "double at S1", "priority": 20,
                      "definition": {"kind": "multiplier", "multiplier_permille": 2000, "stores": ["S1"]}},
                     {"name": "dairy bonus", "priority": 30,
                      "definition": {"kind": "bonus", "points": 7, "categories": ["dairy"],
                                     "cap": {"period": "day", "points": 500}}}):
            r = owner.post(API + "/rules", rule)
            self.assertEqual(r.status, 201, r)
        members = []
        for i in range(NMEMBERS):
            r = owner.post(MEMBERS, {"external_ref": "crash-%d" % i, "given_name": "Crash %d" % i})
            self.assertEqual(r.status, 201, r)
            members.append(r.body["id"])
        total = 0
        for round_no in range(1, ROUNDS + 1):
            with self.subTest(round=round_no):
                writers = [Writer(srv.port, key, round_no, n, members) for n in range(THREADS)]
                for w in writers:
                    w.start()
                time.sleep(RUN_BEFORE_KILL_S)
                srv.kill9()                                   # purchases are in flight right now
                for w in writers:
                    w.stop.set()
                for w in writers:
                    w.join(30)
                    self.assertFalse(w.is_alive(), "a writer thread hung")
                acked = [a for w in writers for a in w.acked]
                unknown = [u for w in writers for u in w.unknown]
                self.assertEqual([o for w in writers for o in w.other], [], "non-201 answers before the kill")
                self.assertGreater(len(acked), 50, "too few purchases acknowledged to mean anything")
                self.assertEqual(len({a["id"] for _, a in acked}), len(acked), "one id acknowledged twice")
                self.assertTrue(all(a["points_earned"] > 0 for _, a in acked))
                srv.restart()
                started = time.monotonic()
                self.check_round(srv, key, acked, unknown, members)
                total += len(acked)
                print("round %d: %d purchases acknowledged, %d in flight at the kill; all there once; checked in "
                      "%.1f s" % (round_no, len(acked), len(unknown), time.monotonic() - started), file=sys.stderr)
        self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    harness.main()
