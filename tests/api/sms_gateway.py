"""A small HTTP server on loopback playing an SMS gateway for the tests: it keeps every request it accepts (method,
path, headers, parsed JSON body) and answers with the status set in `answer` (200 by default), so tests can make
it fail on purpose."""

import http.server
import json
import threading

import harness


class SmsGateway:
    def __init__(self):
        self.lock = threading.Lock()
        self.received = []
        self.failed = 0
        self.answer = 200
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with gateway.lock:
                    status = gateway.answer
                    if status == 200:
                        gateway.received.append({"path": self.path, "headers": dict(self.headers),
                                                 "body": json.loads(body.decode("utf-8"))})
                    else:
                        gateway.failed += 1
                out = b'{"accepted": %s}' % (b"true" if status == 200 else b"false")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.port = harness.free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self):
        return "http://127.0.0.1:%d/send" % self.port

    def to(self, phone):
        with self.lock:
            return [r for r in self.received if r["body"].get("to") == phone]
