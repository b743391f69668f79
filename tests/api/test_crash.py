"""The crash test: an acknowledged write is never lost.

Client threads create members as fast as they can; the server is killed with SIGKILL while requests are in
flight; after a restart on the same data dir every member whose creation was answered 201 must be there,
with the external_ref it was created with. Three rounds on one data dir. Also: SIGTERM stops cleanly (exit 0)."""

import http.client
import json
import os
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, list_all  # noqa: E402

MEMBERS = API + "/members"
THREADS = 8
RUN_BEFORE_KILL_S = 2.0
ROUNDS = 3


class Writer(threading.Thread):
    """Creates members on a keep-alive connection until stopped or the server goes away."""

    def __init__(self, port, key, round_no, n):
        super().__init__(daemon=True)
        self.port, self.key, self.round_no, self.n = port, key, round_no, n
        self.acked = []          # (id, external_ref) answered 201
        self.other = []          # statuses other than 201 (must not happen before the kill)
        self.sent = 0
        self.stop = threading.Event()

    def run(self):
        conn = None
        i = 0
        while not self.stop.is_set():
            ref = "crash-r%d-t%d-%d" % (self.round_no, self.n, i)
            body = json.dumps({"external_ref": ref, "given_name": "Crash %d/%d" % (self.n, i),
                               "attributes": {"round": self.round_no, "i": i}}).encode()
            i += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("POST", MEMBERS, body, {"Authorization": "Bearer " + self.key,
                                                     "Content-Type": "application/json"})
                self.sent += 1
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                # The server is gone (or going): this request's fate is unknown, which is allowed.
                if conn is not None:
                    conn.close()
                conn = None
                if self.stop.is_set():
                    break
                time.sleep(0.01)
                continue
            if resp.status == 201:
                m = json.loads(data)
                if m.get("external_ref") != ref:
                    self.other.append(("wrong ref in answer", ref, m))
                self.acked.append((m["id"], ref))
            else:
                self.other.append((resp.status, data[:300]))
        if conn is not None:
            conn.close()


def get_missing(port, key, acked):
    """GET each (id, ref) on one keep-alive connection; returns those not found or with another ref."""
    missing = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for mid, ref in acked:
            conn.request("GET", "%s/%d" % (MEMBERS, mid), headers={"Authorization": "Bearer " + key})
            resp = conn.getresponse()
            data = resp.read()
            got = json.loads(data).get("external_ref") if resp.status == 200 else None
            if resp.status != 200 or got != ref:
                missing.append((mid, ref, resp.status, got))
    finally:
        conn.close()
    return missing


class CrashTest(unittest.TestCase):
    maxDiff = 4000

    def test_acknowledged_writes_survive_kill9(self):
        srv = harness.Server().start()
        key = srv.apikey("owner")
        all_acked = []
        for round_no in range(1, ROUNDS + 1):
            with self.subTest(round=round_no):
                writers = [Writer(srv.port, key, round_no, n) for n in range(THREADS)]
                for w in writers:
                    w.start()
                time.sleep(RUN_BEFORE_KILL_S)
                in_flight = sum(w.sent for w in writers)
                srv.kill9()                                   # requests are in flight right now
                for w in writers:
                    w.stop.set()
                for w in writers:
                    w.join(30)
                    self.assertFalse(w.is_alive(), "a writer thread hung")
                acked = [a for w in writers for a in w.acked]
                errors = [o for w in writers for o in w.other]
                self.assertEqual(errors, [], "non-201 answers before the kill")
                self.assertGreater(len(acked), 50, "too few writes acknowledged to mean anything (%d sent)" % in_flight)
                self.assertEqual(len({i for i, _ in acked}), len(acked), "one id acknowledged twice")
                all_acked.extend(acked)

                srv.restart()
                owner = srv.client(key)
                # This round's acknowledged members, each by GET /members/{id}.
                missing = get_missing(srv.port, key, acked)
                self.assertEqual(missing, [], "%d of %d acknowledged members lost or changed after kill -9"
                                 % (len(missing), len(acked)))
                # Every round so far, through the list; and no ref twice (a write is applied at most once).
                listed = list_all(owner)
                by_id = {m["id"]: m["external_ref"] for m in listed}
                lost = [(mid, ref) for mid, ref in all_acked if by_id.get(mid) != ref]
                self.assertEqual(lost, [], "acknowledged members of earlier rounds lost")
                refs = [m["external_ref"] for m in listed if m["external_ref"]]
                self.assertEqual(len(refs), len(set(refs)))
                print("round %d: %d acknowledged this round, %d in all, all present" %
                      (round_no, len(acked), len(all_acked)), file=sys.stderr)
        self.assertEqual(srv.stop(), 0)

    def test_sigterm_is_graceful(self):
        srv = harness.Server().start()
        key = srv.apikey("owner")
        owner = srv.client(key)
        ids = []
        for i in range(20):
            r = owner.post(MEMBERS, {"external_ref": "term-%d" % i, "given_name": "Term"})
            self.assertEqual(r.status, 201, r)
            ids.append(r.body["id"])
        self.assertEqual(srv.stop(), 0, srv.log_text())
        srv.restart()
        owner = srv.client(key)
        for i, mid in enumerate(ids):
            r = owner.get("%s/%d" % (MEMBERS, mid))
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body["external_ref"], "term-%d" % i)
        # SIGTERM while writers are busy also exits 0, and what was acknowledged stays.
        writers = [Writer(srv.port, key, 99, n) for n in range(4)]
        for w in writers:
            w.start()
        time.sleep(0.5)
        self.assertEqual(srv.stop(), 0, srv.log_text())
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(30)
        acked = [a for w in writers for a in w.acked]
        self.assertGreater(len(acked), 0)
        srv.restart()
        owner = srv.client(key)
        self.assertEqual(get_missing(srv.port, key, acked), [])
        self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    harness.main()
