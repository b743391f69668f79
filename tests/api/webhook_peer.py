"""A small HTTP server on loopback playing a department's webhook receiver for the tests. It verifies each
delivery's signature the way docs/webhooks.md tells receivers to (HMAC-SHA256 over "id.timestamp.body" with the
base64 key after "whsec_", compared in constant time), keeps every request (path, webhook-id, timestamp, whether
the signature held, parsed body, and the raw headers and body for checking with another secret), and can misbehave
on purpose per path: answer with a status, fail the next N requests, answer slowly, answer with an oversized body,
or answer with bytes that are not HTTP."""

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import harness


def signature_ok(secret, headers, body):
    """True when one of the webhook-signature values is the HMAC of id.timestamp.body under secret."""
    if not secret or not secret.startswith("whsec_"):
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    signed = ("%s.%s." % (headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""))).encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for value in headers.get("webhook-signature", "").split():
        version, _, sig = value.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False


class Endpoint:
    def __init__(self):
        self.secret = None
        self.status = 200      # the answer
        self.fail_next = 0     # answer 503 to this many requests first
        self.delay = 0.0       # seconds before answering
        self.big = False       # a 200 with a body of 2 MB
        self.garbage = False   # bytes that are not HTTP, then close


class WebhookPeer:
    def __init__(self):
        self.lock = threading.Lock()
        self.received = []  # every request: {path, id, timestamp, verified, body, status}
        self.endpoints = {}
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with peer.lock:
                    ep = peer.endpoints.setdefault(self.path, Endpoint())
                    status = ep.status
                    if ep.fail_next > 0:
                        ep.fail_next -= 1
                        status = 503
                    delay, big, garbage, secret = ep.delay, ep.big, ep.garbage, ep.secret
                try:
                    parsed = json.loads(body.decode("utf-8"))
                except ValueError:
                    parsed = None
                entry = {"path": self.path, "id": self.headers.get("webhook-id"),
                         "timestamp": self.headers.get("webhook-timestamp"),
                         "verified": signature_ok(secret, self.headers, body), "body": parsed,
                         "status": "garbage" if garbage else status, "at": time.time(),
                         "headers": {k.lower(): v for k, v in self.headers.items()}, "raw": body}
                with peer.lock:
                    peer.received.append(entry)
                if delay:
                    time.sleep(delay)
                if garbage:
                    self.wfile.write(b"\x00\x01 this is not HTTP\r\n\r\n")
                    self.close_connection = True
                    return
                out = b"x" * (2 << 20) if big else b'{"ok": %s}' % (b"true" if status < 300 else b"false")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up (a timeout or an answer it would not read)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a sender that hung up (killed, or gave up waiting) is what some tests do on purpose

        self.port = harness.free_port()
        self.httpd = Server(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def endpoint(self, path):
        with self.lock:
            return self.endpoints.setdefault(path, Endpoint())

    def at(self, path, ok_only=False):
        with self.lock:
            return [r for r in self.received if r["path"] == path and (not ok_only or r["status"] == 200)]

    def wait(self, path, n, timeout=15.0, ok_only=True):
        """The requests to path once there are at least n (only accepted ones when ok_only), or what came."""
        end = time.time() + timeout
        while time.time() < end:
            got = self.at(path, ok_only)
            if len(got) >= n:
                return got
            time.sleep(0.02)
        return self.at(path, ok_only)
