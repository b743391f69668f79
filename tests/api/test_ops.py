"""Operations tests: /healthz, /metrics (the families of the contract, counting requests, timing the steps of
durable writes) and the access log (one JSON line per request)."""

import concurrent.futures
import json
import os
import re
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API  # noqa: E402

MEMBERS = API + "/members"
WRITERS = 8  # clients posting purchases at once in StoreStepsTest
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_metrics(text):
    """Prometheus text -> (types {family: type}, samples [(name, {label: value}, float)])."""
    types, samples = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError("unparsable metrics line: %r" % line)
        labels = {}
        if m.group(2):
            rest = m.group(2)
            pos = 0
            while pos < len(rest):
                lm = LABEL.match(rest, pos)
                if not lm:
                    raise AssertionError("bad labels in %r" % line)
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        samples.append((m.group(1), labels, float(m.group(3))))
    return types, samples


def total(samples, name, **want):
    """Sum of the samples called name whose labels match want (a value may be a callable test)."""
    s = 0.0
    for n, labels, v in samples:
        if n != name:
            continue
        ok = True
        for k, w in want.items():
            got = labels.get(k)
            if callable(w):
                ok = ok and got is not None and w(got)
            else:
                ok = ok and got == w
        if ok:
            s += v
    return s


class OpsTest(harness.ServerCase):

    def metrics(self):
        r = self.server.client().get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "text/plain", r)
        return parse_metrics(r.body)

    def test_healthz(self):
        r = self.server.client().get("/healthz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "application/json")
        self.assertEqual(r.body, {"status": "ok"})

    def test_metric_families(self):
        # One write first, so the writer has batched something.
        self.assertEqual(self.owner.post(MEMBERS, {"given_name": "Metric"}).status, 201)
        types, samples = self.metrics()
        self.assertEqual(types.get("bashgah_http_requests_total"), "counter")
        self.assertEqual(types.get("bashgah_http_request_duration_seconds"), "histogram")
        self.assertEqual(types.get("bashgah_writer_batch_size"), "histogram")
        self.assertEqual(types.get("bashgah_db_size_bytes"), "gauge")
        self.assertEqual(types.get("bashgah_store_step_seconds"), "histogram")
        steps = {labels.get("step") for n, labels, _ in samples if n == "bashgah_store_step_seconds_count"}
        self.assertEqual(steps, {"wal_sync", "commit", "writer_checkpoint", "checkpoint", "checkpoint_flush"})
        names = {n for n, _, _ in samples}
        for n in ("bashgah_http_requests_total", "bashgah_http_request_duration_seconds_bucket",
                  "bashgah_http_request_duration_seconds_sum", "bashgah_http_request_duration_seconds_count",
                  "bashgah_writer_batch_size_bucket", "bashgah_writer_batch_size_sum",
                  "bashgah_writer_batch_size_count", "bashgah_db_size_bytes"):
            self.assertIn(n, names)
        for n, labels, _ in samples:
            if n == "bashgah_http_requests_total":
                self.assertTrue({"route", "method", "status"} <= set(labels), labels)
        self.assertGreater(total(samples, "bashgah_db_size_bytes"), 0)
        self.assertGreaterEqual(total(samples, "bashgah_writer_batch_size_count"), 1)
        # Histogram buckets are cumulative and end at +Inf == _count.
        for h in ("bashgah_http_request_duration_seconds", "bashgah_writer_batch_size", "bashgah_store_step_seconds"):
            series = {}
            for n, labels, v in samples:
                if n == h + "_bucket":
                    key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
                    series.setdefault(key, []).append((labels["le"], v))
            self.assertTrue(series, h)
            for key, buckets in series.items():
                les = [float("inf") if le == "+Inf" else float(le) for le, _ in buckets]
                self.assertIn(float("inf"), les, h)
                ordered = [v for _, v in sorted(zip(les, [v for _, v in buckets]))]
                self.assertEqual(ordered, sorted(ordered), (h, buckets))
                count = total(samples, h + "_count", **dict(key))
                self.assertEqual(ordered[-1], count, (h, key))

    def test_requests_are_counted(self):
        _, before = self.metrics()
        c = self.server.client()
        for _ in range(5):
            self.assertEqual(c.get("/healthz").status, 200)
        self.assertEqual(self.owner.post(MEMBERS, {"given_name": "Counted"}).status, 201)
        self.assertEqual(self.owner.get(MEMBERS + "/987654321").status, 404)
        self.assertEqual(self.owner.get(MEMBERS + "/987654322").status, 404)
        _, after = self.metrics()

        def delta(**want):
            return total(after, "bashgah_http_requests_total", **want) - \
                total(before, "bashgah_http_requests_total", **want)

        self.assertEqual(delta(route=lambda r: "healthz" in r, method="GET", status="200"), 5)
        self.assertEqual(delta(route=lambda r: "members" in r, method="POST", status="201"), 1)
        self.assertEqual(delta(route=lambda r: "members" in r, method="GET", status="404"), 2)
        dur = total(after, "bashgah_http_request_duration_seconds_count") - \
            total(before, "bashgah_http_request_duration_seconds_count")
        self.assertGreaterEqual(dur, 8)
        self.assertGreaterEqual(total(after, "bashgah_writer_batch_size_count") -
                                total(before, "bashgah_writer_batch_size_count"), 1)


class StoreStepsTest(harness.ServerCase):
    """bashgah_store_step_seconds: what an answer to a write waited for, and the checkpoints beside it."""

    def steps(self):
        r = self.server.client().get("/metrics")
        self.assertEqual(r.status, 200, r)
        _, samples = parse_metrics(r.body)
        return {step: (total(samples, "bashgah_store_step_seconds_count", step=step),
                       total(samples, "bashgah_store_step_seconds_sum", step=step))
                for step in ("wal_sync", "commit", "writer_checkpoint", "checkpoint", "checkpoint_flush")}

    def purchase(self, client, member):
        r = client.post(API + "/transactions", {"type": "purchase", "member_id": member, "store": "S1",
                                                "txn_id": "ST-%d" % harness.uniq(), "amount": 1000})
        self.assertEqual(r.status, 201, r)

    def test_each_write_is_synced_and_the_wal_is_checkpointed(self):
        members = []
        for i in range(WRITERS):
            r = self.owner.post(MEMBERS, {"given_name": "Steps"})
            self.assertEqual(r.status, 201, r)
            members.append(r.body["id"])
        before = self.steps()
        for i in range(5):
            self.purchase(self.owner, members[0])
        after = self.steps()
        # One request at a time: each purchase is its own commit, answered after its own fsync of the WAL (the
        # server's own background jobs may have committed too meanwhile).
        for step in ("wal_sync", "commit"):
            self.assertGreaterEqual(after[step][0] - before[step][0], 5, (step, before, after))
            self.assertGreater(after[step][1], before[step][1], (step, before, after))
        self.assertEqual(after["writer_checkpoint"], (0, 0), after)  # the WAL is far from its end
        # Writes, from WRITERS clients at once, until the WAL is long enough for the checkpointer's passes and
        # then for the writer's own copy of its last frames (it starts again then): tens of thousands of frames.
        clients = [self.server.client(self.owner_key) for _ in range(WRITERS)]
        n = 0
        with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
            while self.steps()["writer_checkpoint"][0] == 0:
                self.assertLess(n, 40000, "no checkpoint by the writer after %d purchases: %r" % (n, self.steps()))
                list(pool.map(lambda i: [self.purchase(clients[i], members[i]) for _ in range(50)], range(WRITERS)))
                n += 50 * WRITERS
        done = self.steps()
        self.assertGreaterEqual(done["checkpoint"][0], 1, done)
        self.assertGreaterEqual(done["writer_checkpoint"][0], 1, done)
        # Seconds, not another unit: each step's mean is above a microsecond and below a second.
        for step, (count, seconds) in done.items():
            if count:
                self.assertTrue(1e-6 < seconds / count < 1, (step, count, seconds))
        # Each purchase is answered after an fsync of its own commit, which the at most WRITERS purchases in flight
        # may share.
        self.assertGreaterEqual(done["wal_sync"][0] - after["wal_sync"][0], n / WRITERS, done)


class AccessLogTest(unittest.TestCase):

    def test_one_json_line_per_request(self):
        root = harness.make_tempdir()
        path = os.path.join(root, "access.log")
        srv = harness.Server(access_log=path).start()
        try:
            key = srv.apikey("owner")
            owner = srv.client(key)
            bare = srv.client()
            done = []
            r = bare.get("/healthz")
            self.assertEqual(r.status, 200)
            r = bare.get(MEMBERS)
            self.assertEqual(r.status, 401)
            done.append(("GET", MEMBERS, 401))
            r = owner.get(MEMBERS + "/424242")
            self.assertEqual(r.status, 404)
            done.append(("GET", MEMBERS + "/424242", 404))
            r = owner.post(MEMBERS, {"given_name": "Logged"})
            self.assertEqual(r.status, 201)
            done.append(("POST", MEMBERS, 201))
            r = owner.patch("%s/%d" % (MEMBERS, r.body["id"]), {"family_name": "Too"})
            self.assertEqual(r.status, 200)
            done.append(("PATCH", "%s/%d" % (MEMBERS, r.body["id"]), 200))
            r = bare.get("/metrics")
            self.assertEqual(r.status, 200)
            done.append(("GET", "/metrics", 200))
            r = owner.request("PUT", MEMBERS)
            self.assertEqual(r.status, 405)
            done.append(("PUT", MEMBERS, 405))
        finally:
            self.assertEqual(srv.stop(), 0)

        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.splitlines()
        self.assertTrue(text.endswith("\n"), "last access-log line is not terminated")
        entries = []
        for line in lines:
            e = json.loads(line)                   # every line is one JSON object
            self.assertIsInstance(e, dict, line)
            for f in ("method", "path", "status"):
                self.assertIn(f, e, line)
            self.assertIsInstance(e["status"], int, line)
            dur = [k for k in e if k.startswith("duration")]
            self.assertTrue(dur, line)
            self.assertIsInstance(e[dur[0]], (int, float), line)
            self.assertGreaterEqual(e[dur[0]], 0, line)
            entries.append(e)

        healthz = [e for e in entries if e["path"] == "/healthz"]
        self.assertGreaterEqual(len(healthz), 2)             # start-up polling and ours
        self.assertTrue(all(e["method"] == "GET" and e["status"] == 200 for e in healthz))
        rest = sorted((e["method"], e["path"], e["status"]) for e in entries if e["path"] != "/healthz")
        self.assertEqual(rest, sorted(done))
        self.assertNotIn(key, text)                           # secrets never reach the log

    def test_access_log_off_writes_nothing(self):
        srv = harness.Server(access_log="off").start()
        srv.client().get("/healthz")
        self.assertEqual(srv.stop(), 0)
        self.assertFalse([l for l in srv.stdout().splitlines() if l.lstrip().startswith("{") and '"path"' in l])


if __name__ == "__main__":
    harness.main()
