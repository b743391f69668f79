"""Test harness for the bashgah API suite: runs a live server and talks to it.

What it gives a test file:
  Server      starts `bashgah serve` on a free port with its own data dir, waits for /healthz, captures
              stdout/stderr to files, stops it with SIGTERM (exit code must be 0), kills it with -9 and
              restarts it on the same data dir; cli(), apikey(), client(), login() bound to that data dir.
  Client      a small HTTP client on http.client: bearer key or cookie session (+ X-CSRF-Token on writes);
              every call returns a Response that unpacks as (status, headers, body), where body is parsed
              JSON for JSON content types, else text.
  main()      unittest.main() that prints every server's logs when the run failed and exits non-zero.

Environment: BASHGAH_BIN (the built binary), BASHGAH_SRC (source root). Only the standard library is used.
"""

import http.client
import itertools
import json
import os
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SRC = os.environ.get("BASHGAH_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BASHGAH_BIN") or os.path.join(SRC, "build", "bashgah")

OWNER_PASSWORD = "owner-Pa55word-for-tests"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0
CLI_TIMEOUT_S = 60.0
API = "/api/v1"
PROBLEM_BASE = "https://bashgah.org/problems/"

# Every server and temp dir made in this process, so main() can show logs on failure and clean up on success.
_servers = []
_tempdirs = []
_counter = itertools.count(1)


def uniq():
    """A number unique within this test process (for names, refs, phones, emails)."""
    return next(_counter)


def unique_phone(prefix="+98912"):
    """An Iranian mobile number in E.164 that no other call in this process returns (valid per libphonenumber)."""
    n = 2000000 + uniq()
    return "%s%07d" % (prefix, n % 10000000)


def make_tempdir(tag="bashgah-api-"):
    d = tempfile.mkdtemp(prefix=tag)
    _tempdirs.append(d)
    return d


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def db_query(data_dir, sql, *args):
    """Rows of one query on the data directory's database, on a connection of its own (closed after)."""
    db = sqlite3.connect(os.path.join(data_dir, "bashgah.db"), timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def now_ms():
    return int(time.time() * 1000)


def clean_env(extra=None):
    """The environment for the binary: ours minus any BASHGAH_* setting the caller did not ask for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASHGAH_")}
    env["BASHGAH_OWNER_PASSWORD"] = OWNER_PASSWORD
    if extra:
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
    return env


# Subcommands made of two words: --data goes after both words.
_TWO_WORD = {"user", "apikey", "member"}


def run_cli(data_dir, *args, input=None, env=None, cwd=None, timeout=CLI_TIMEOUT_S, data=True):
    """Run `bashgah ARGS` with --data DATA_DIR inserted after the subcommand words; returns CompletedProcess
    with text stdout/stderr. `input` may be str or bytes."""
    args = [str(a) for a in args]
    if data and data_dir is not None:
        n = 2 if args and args[0] in _TWO_WORD and len(args) >= 2 and not args[1].startswith("-") else 1
        n = min(n, len(args))
        args = args[:n] + ["--data", data_dir] + args[n:]
    if isinstance(input, str):
        input = input.encode("utf-8")
    # Never run in the caller's directory: a default ./data must not land in the source tree.
    cwd = cwd or (os.path.dirname(data_dir) if data_dir else make_tempdir("bashgah-cli-"))
    p = subprocess.run([BIN] + args, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=clean_env(env), cwd=cwd, timeout=timeout)
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode("utf-8", "replace"),
                                       p.stderr.decode("utf-8", "replace"))


class Response:
    """status, headers (http.client.HTTPMessage, case-insensitive), body (JSON value or text), raw bytes."""

    def __init__(self, status, headers, body, raw):
        self.status = status
        self.headers = headers
        self.body = body
        self.raw = raw

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def __repr__(self):
        text = self.raw[:600].decode("utf-8", "replace")
        return "<Response %s %s %r>" % (self.status, self.content_type, text)


_NOBODY = object()
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class Client:
    """One HTTP/1.1 client for 127.0.0.1:PORT. Authenticates with `key` (Bearer) or with a session cookie set
    by login(); with a session, writes carry X-CSRF-Token unless csrf=False is passed."""

    def __init__(self, port, key=None, host="127.0.0.1", timeout=30.0):
        self.host = host
        self.port = port
        self.key = key
        self.timeout = timeout
        self.cookie = None  # "bashgah_session=VALUE"
        self.csrf = None

    def request(self, method, path, body=_NOBODY, *, raw=None, headers=None, content_type=None, csrf=True,
                auth=True, timeout=None):
        hdrs = {}
        if auth and self.key is not None:
            hdrs["Authorization"] = "Bearer " + self.key
        if auth and self.cookie is not None:
            hdrs["Cookie"] = self.cookie
            if csrf and method in _WRITES and self.csrf is not None:
                hdrs["X-CSRF-Token"] = self.csrf
        data = None
        if body is not _NOBODY:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if raw is not None:
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
            hdrs["Content-Type"] = "application/json"
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        if headers:
            hdrs.update(headers)
        return send(self.host, self.port, method, path, data, hdrs, timeout or self.timeout)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=_NOBODY, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=_NOBODY, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, username, password):
        """POST /auth/login; on 200 keeps the session cookie and CSRF token. Returns the Response."""
        r = self.post(API + "/auth/login", {"username": username, "password": password}, auth=False)
        if r.status == 200:
            self.cookie = session_cookie(r.headers)
            if isinstance(r.body, dict):
                self.csrf = r.body.get("csrf_token")
        return r


def session_cookie(headers):
    """`bashgah_session=VALUE` from the Set-Cookie headers, or None."""
    for sc in headers.get_all("Set-Cookie") or []:
        first = sc.split(";")[0].strip()
        if first.startswith("bashgah_session="):
            return first
    return None


def _parse_body(headers, raw):
    ct = (headers.get("Content-Type") or "").lower()
    if "json" in ct:
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return raw.decode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


CHUNK = 64 * 1024


def send(host, port, method, path, data, headers, timeout=30.0):
    """One request on a fresh connection. A large body goes out in chunks; when the server answers early
    (say 413) we stop sending and read its answer instead of dying on a broken pipe."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders()
        if data:
            view = memoryview(data)
            try:
                for off in range(0, len(data), CHUNK):
                    if off and select.select([conn.sock], [], [], 0)[0]:
                        break  # the server has answered already
                    conn.sock.sendall(view[off:off + CHUNK])
            except (BrokenPipeError, ConnectionResetError):
                pass  # the answer (if any) is read below
        resp = conn.getresponse()
        raw = resp.read()
        return Response(resp.status, resp.headers, _parse_body(resp.headers, raw), raw)
    finally:
        conn.close()


class ServerFailed(Exception):
    pass


class Server:
    """A `bashgah serve` process on its own data dir.

    listen_flag=False leaves --listen out (to test the config/env); then pass `port` for the address the
    server is expected to use. clock_ms=N starts it with --clock-file holding N (see set_clock/advance)."""

    def __init__(self, data_dir=None, extra_args=(), env=None, access_log="off", clock_ms=None, port=None,
                 listen_flag=True, data_flag=True):
        self.root = make_tempdir()
        self.data_dir = data_dir or os.path.join(self.root, "data")
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.access_log = access_log
        self.listen_flag = listen_flag
        self.data_flag = data_flag
        self.fixed_port = port
        self.port = None
        self.proc = None
        self.starts = 0
        self.logs = []  # (stdout path, stderr path) per start
        self.clock_file = None
        if clock_ms is not None:
            self.clock_file = os.path.join(self.root, "clock")
            self.set_clock(clock_ms)
        _servers.append(self)

    # ----- lifecycle

    def start(self):
        """Start and wait for GET /healthz == 200. Retries a couple of times if the port was taken."""
        for attempt in range(3):
            self._spawn()
            try:
                self._wait_healthy()
                return self
            except ServerFailed as e:
                if self.proc.poll() is not None and self.fixed_port is None and attempt < 2 and \
                        "in use" in self.stderr().lower():
                    continue
                raise ServerFailed("%s\n%s" % (e, self.log_text()))
        raise ServerFailed("could not start\n" + self.log_text())

    def _spawn(self):
        self.port = self.fixed_port or free_port()
        self.starts += 1
        out = os.path.join(self.root, "serve-%d.stdout" % self.starts)
        err = os.path.join(self.root, "serve-%d.stderr" % self.starts)
        self.logs.append((out, err))
        args = [BIN, "serve"]
        if self.listen_flag:
            args += ["--listen", "127.0.0.1:%d" % self.port]
        if self.data_flag:
            args += ["--data", self.data_dir]
        if self.access_log is not None:
            args += ["--access-log", self.access_log]
        if self.clock_file:
            args += ["--clock-file", self.clock_file]
        args += self.extra_args
        self.args = args
        with open(out, "wb") as fo, open(err, "wb") as fe:
            self.proc = subprocess.Popen(args, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                                         env=clean_env(self.env), cwd=self.root)

    def _wait_healthy(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed("server exited with %s during start-up" % self.proc.returncode)
            try:
                r = send("127.0.0.1", self.port, "GET", "/healthz", None, {}, timeout=2.0)
                if r.status == 200:
                    return
                last = r
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise ServerFailed("no healthy /healthz within %.0f s (last: %r)" % (START_TIMEOUT_S, last))

    def stop(self):
        """SIGTERM and wait; returns the exit code (None if it was not running)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise ServerFailed("server did not stop within %.0f s of SIGTERM\n%s" % (STOP_TIMEOUT_S, self.log_text()))

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def restart(self):
        """Start again on the same data dir (the port may change)."""
        if self.proc is not None and self.proc.poll() is None:
            raise ServerFailed("restart() while the server still runs")
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # ----- clock

    def set_clock(self, ms):
        """Write the clock file atomically (write a temp file, rename it over)."""
        assert self.clock_file, "server not started with a clock"
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % int(ms))
        os.replace(tmp, self.clock_file)
        self.clock_now = int(ms)

    def advance(self, ms):
        self.set_clock(self.clock_now + int(ms))

    # ----- logs

    def stdout(self):
        return self._read_last(0)

    def stderr(self):
        return self._read_last(1)

    def _read_last(self, i):
        if not self.logs:
            return ""
        with open(self.logs[-1][i], "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_text(self, limit=20000):
        parts = []
        for out, err in self.logs:
            for p in (out, err):
                try:
                    with open(p, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                text = data[-limit:].decode("utf-8", "replace")
                parts.append("----- %s (%d bytes)\n%s" % (p, len(data), text))
        return "\n".join(parts)

    # ----- helpers bound to this data dir

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def cli(self, *args, **kw):
        return run_cli(self.data_dir, *args, **kw)

    def apikey(self, role, name=None):
        """Create an API key with the CLI; returns the key (the last line of stdout)."""
        name = name or "test-%s-%d" % (role, uniq())
        p = self.cli("apikey", "create", "--role", role, "--name", name)
        lines = [l.strip() for l in p.stdout.splitlines() if l.strip()]
        if p.returncode != 0 or not lines:
            raise AssertionError("apikey create failed: rc=%d\nstdout:%s\nstderr:%s" % (p.returncode, p.stdout, p.stderr))
        return lines[-1]

    def client(self, key=None):
        return Client(self.port, key=key)

    def login(self, username, password):
        """A fresh Client logged in as username; returns (client, login Response)."""
        c = Client(self.port)
        r = c.login(username, password)
        return c, r


# ----- assertions shared by the test files

def assert_problem(tc, r, status, slug=None, field=None, message_contains=None):
    """r is an RFC 9457 problem with this status (and slug; and an errors[] entry naming field)."""
    tc.assertEqual(r.status, status, r)
    tc.assertEqual(r.content_type, "application/problem+json", r)
    tc.assertIsInstance(r.body, dict, r)
    tc.assertEqual(r.body.get("status"), status, r)
    tc.assertIsInstance(r.body.get("title"), str, r)
    tc.assertTrue(r.body.get("title"), r)
    t = r.body.get("type")
    tc.assertIsInstance(t, str, r)
    tc.assertTrue(t.startswith(PROBLEM_BASE), r)
    if slug is not None:
        if isinstance(slug, (tuple, list, set)):
            tc.assertIn(t, [PROBLEM_BASE + s for s in slug], r)
        else:
            tc.assertEqual(t, PROBLEM_BASE + slug, r)
    if field is not None:
        errs = r.body.get("errors")
        tc.assertIsInstance(errs, list, r)
        for e in errs:
            tc.assertIsInstance(e, dict, r)
            tc.assertIsInstance(e.get("message"), str, r)
            tc.assertTrue(e.get("message"), r)
        fields = [e.get("field") for e in errs]
        names = field if isinstance(field, (tuple, list, set)) else (field,)
        hit = [e for e in errs if e.get("field") in names or
               any(isinstance(e.get("field"), str) and e.get("field").startswith(n + ".") for n in names)]
        tc.assertTrue(hit, "no error for field %r in %r (%r)" % (field, fields, r))
        if message_contains:
            tc.assertTrue(any(message_contains in e.get("message", "") for e in hit), r)
    return r.body


def list_all(client, query="", limit=500):
    """Every item of GET /members?QUERY, following next_cursor; fails loudly on a bad page."""
    items = []
    cursor = None
    for _ in range(10000):
        q = "limit=%d" % limit
        if query:
            q += "&" + query
        if cursor:
            q += "&cursor=" + urlquote(cursor)
        r = client.get(API + "/members?" + q)
        if r.status != 200 or not isinstance(r.body, dict):
            raise AssertionError("list failed: %r" % r)
        items.extend(r.body["items"])
        cursor = r.body.get("next_cursor")
        if not cursor:
            return items
    raise AssertionError("list never ended")


def member_count(client):
    return len(list_all(client))


def urlquote(s):
    import urllib.parse
    return urllib.parse.quote(str(s), safe="")


RFC3339_MS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


class ServerCase(unittest.TestCase):
    """A TestCase class with one server for the whole class (self.server, self.owner = owner-key client).
    Subclasses may set server_kwargs. tearDownClass checks the server still answers /healthz and then that a
    SIGTERM stops it with exit code 0."""

    server_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.server = Server(**cls.server_kwargs).start()
        cls.owner_key = cls.server.apikey("owner")
        cls.owner = cls.server.client(cls.owner_key)

    @classmethod
    def tearDownClass(cls):
        srv = cls.server
        if not srv.alive():
            raise ServerFailed("server died during the tests (rc=%s)\n%s" % (srv.proc.returncode, srv.log_text()))
        r = send("127.0.0.1", srv.port, "GET", "/healthz", None, {}, timeout=5.0)
        rc = srv.stop()
        if r.status != 200:
            raise ServerFailed("/healthz answered %r at the end" % r)
        if rc != 0:
            raise ServerFailed("SIGTERM exit code %s, want 0\n%s" % (rc, srv.log_text()))


def main():
    """unittest.main, but print the servers' logs when anything failed, and exit non-zero then."""
    if not os.path.exists(BIN):
        print("BASHGAH_BIN %s does not exist" % BIN, file=sys.stderr)
        sys.exit(1)
    prog = unittest.main(exit=False, verbosity=2)
    ok = prog.result.wasSuccessful() and prog.result.testsRun > 0
    for s in _servers:
        s.kill9()
    if not ok:
        for s in _servers:
            print("\n===== server %s (data %s)\n%s" % (" ".join(getattr(s, "args", [])), s.data_dir, s.log_text()),
                  file=sys.stderr)
        print("temp dirs kept: %s" % " ".join(_tempdirs), file=sys.stderr)
        sys.exit(1)
    for d in _tempdirs:
        shutil.rmtree(d, ignore_errors=True)
    sys.exit(0)


def wait_for(pred, timeout=15.0, what="the condition"):
    """Polls pred() until it is true; fails with `what` after timeout seconds (background jobs, deliveries)."""
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)
