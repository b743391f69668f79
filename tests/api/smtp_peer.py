"""A real SMTP server on loopback for the tests (Debian's python3-aiosmtpd): it keeps every message it accepts,
and can be told to answer DATA with a temporary (4xx) or permanent (5xx) refusal, or to require STARTTLS and a
login. Messages are parsed with the standard library's email package, so the tests check what a mail client
would see."""

import asyncio
import email
import email.policy
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import harness


class _Handler:
    def __init__(self, peer):
        self.peer = peer

    async def handle_DATA(self, server, session, envelope):
        if self.peer.delay:
            await asyncio.sleep(self.peer.delay)  # a slow peer: keeps a delivery in flight for the crash test
        with self.peer.lock:
            answer = self.peer.answer
            if answer is None:
                msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                               policy=email.policy.default)
                self.peer.received.append({"rcpt": list(envelope.rcpt_tos), "from": envelope.mail_from,
                                           "msg": msg, "raw": envelope.original_content or envelope.content,
                                           "tls": session.ssl is not None, "auth": session.authenticated,
                                           "peer": session.peer})
            else:
                self.peer.refused += 1
        return answer or "250 OK"


class SmtpPeer:
    """start() listens on a free port; answer=None accepts, answer="451 ..." or "550 ..." refuses DATA."""

    def __init__(self, tls_context=None, require_starttls=False, auth=None):
        self.lock = threading.Lock()
        self.received = []
        self.refused = 0
        self.answer = None
        self.delay = 0.0
        self.port = harness.free_port()
        kw = {}
        if tls_context is not None:
            kw.update(tls_context=tls_context, require_starttls=require_starttls)
        if auth is not None:
            user, password = auth

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = auth_data.login == user.encode() and auth_data.password == password.encode()
                return AuthResult(success=ok)

            kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls_context is not None)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kw)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def set_answer(self, answer):
        with self.lock:
            self.answer = answer

    def messages_to(self, address):
        with self.lock:
            return [m for m in self.received if address in m["rcpt"]]

    def wait_for(self, address, count=1, timeout=15.0):
        """The messages to address once there are at least count (or what came within timeout)."""
        end = time.time() + timeout
        while time.time() < end:
            got = self.messages_to(address)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        return self.messages_to(address)
