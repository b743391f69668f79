"""API tests for the loops' held read transactions (store_reader_hold): under a steady load of reads, which keeps
each loop's snapshot open across many requests, a read still sees every write that finished before it was sent:
a PATCH answered on one connection, on the same connection pipelined, a key revoked through the API or by
`bashgah apikey revoke` in another process."""

import json
import os
import socket
import sys
import threading

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, uniq  # noqa: E402

MEMBERS = API + "/members"
ME = API + "/auth/me"
APIKEYS = API + "/apikeys"
LOAD_CONNECTIONS = 6


class KeepAlive:
    """One persistent HTTP/1.1 connection that can pipeline requests (http.client cannot)."""

    def __init__(self, port, key):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.key = key
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, method, path, body=None):
        head = "%s %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n" % (method, path, self.key)
        data = b""
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
        self.sock.sendall((head + "\r\n").encode("ascii") + data)

    def receive(self):
        """(status, parsed JSON body) of the next answer."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(self.buf) < length:
            self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, json.loads(body) if body else None

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError("the server closed the connection")
        self.buf += chunk

    def call(self, method, path, body=None):
        self.send(method, path, body)
        return self.receive()


class ReadSnapshotTest(harness.ServerCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.owner.post(MEMBERS, {"given_name": "load", "external_ref": "LOAD-%d" % uniq()})
        if r.status != 201:
            raise AssertionError(r)
        cls.load_id = r.body["id"]
        cls.stop_load = threading.Event()
        cls.load_errors = []
        cls.loaders = [threading.Thread(target=cls.load, daemon=True) for _ in range(LOAD_CONNECTIONS)]
        for t in cls.loaders:
            t.start()

    @classmethod
    def tearDownClass(cls):
        cls.stop_load.set()
        for t in cls.loaders:
            t.join(timeout=30)
        super().tearDownClass()
        if cls.load_errors:
            raise AssertionError("load: %r" % cls.load_errors[:3])

    @classmethod
    def load(cls):
        """GETs, eight pipelined at a time, so the loops hold their snapshots across many requests."""
        try:
            c = KeepAlive(cls.server.port, cls.owner_key)
            path = "%s/%d" % (MEMBERS, cls.load_id)
            while not cls.stop_load.is_set():
                for _ in range(8):
                    c.send("GET", path)
                for _ in range(8):
                    status, _ = c.receive()
                    if status != 200:
                        cls.load_errors.append(status)
            c.close()
        except Exception as e:  # noqa: BLE001 (reported by tearDownClass)
            cls.load_errors.append(repr(e))

    def connections(self, n, key=None):
        cs = [KeepAlive(self.server.port, key or self.owner_key) for _ in range(n)]
        for c in cs:
            self.addCleanup(c.close)
        return cs

    def test_a_patch_answered_on_one_connection_is_read_on_the_others(self):
        writer, *readers = self.connections(5)
        mid = self.owner.post(MEMBERS, {"given_name": "v0"}).body["id"]
        path = "%s/%d" % (MEMBERS, mid)
        for r in readers:  # every connection has read the member before: their loops hold a snapshot
            self.assertEqual(r.call("GET", path)[0], 200)
        for i in range(1, 80):
            status, _ = writer.call("PATCH", path, {"given_name": "v%d" % i})
            self.assertEqual(status, 200)
            for r in readers:
                status, body = r.call("GET", path)
                self.assertEqual((status, body["given_name"]), (200, "v%d" % i))

    def test_a_read_pipelined_after_a_patch_sees_it(self):
        (c,) = self.connections(1)
        mid = self.owner.post(MEMBERS, {"given_name": "p0"}).body["id"]
        path = "%s/%d" % (MEMBERS, mid)
        for i in range(1, 80):
            c.send("GET", path)
            c.send("PATCH", path, {"given_name": "p%d" % i})
            c.send("GET", path)
            self.assertEqual(c.receive()[0], 200)
            self.assertEqual(c.receive()[0], 200)
            status, body = c.receive()
            self.assertEqual((status, body["given_name"]), (200, "p%d" % i))

    def test_a_key_revoked_through_the_api_is_refused_at_once(self):
        for _ in range(10):
            r = self.owner.post(APIKEYS, {"name": "snap-%d" % uniq(), "role": "cashier"})
            self.assertEqual(r.status, 201, r)
            (c,) = self.connections(1, r.body["key"])
            self.assertEqual(c.call("GET", ME)[0], 200)
            d = self.owner.delete("%s/%s" % (APIKEYS, r.body["id"]))
            self.assertIn(d.status, (200, 204), d)
            self.assertEqual(c.call("GET", ME)[0], 401)

    def test_a_key_revoked_by_the_cli_in_another_process_is_refused_at_once(self):
        for _ in range(3):
            key = self.server.apikey("cashier")
            (c,) = self.connections(1, key)
            status, me = c.call("GET", ME)
            self.assertEqual(status, 200)
            p = self.server.cli("apikey", "revoke", "--id", me["id"])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(c.call("GET", ME)[0], 401)


if __name__ == "__main__":
    harness.main()
