"""API tests for message delivery: the outbox's worker hands email to a real SMTP server on loopback (aiosmtpd,
tests/api/smtp_peer.py) and records each attempt; a temporary refusal is retried after an exponential backoff
with jitter (moved past by the test clock), a permanent one fails at once, and tries stop at the limit; a message
past its not-after time is not sent; headers and parts are what a mail client expects, in English and Persian.
The member portal's sign-in code by email is the message under test (a transactional message)."""

import os
import sqlite3
import ssl
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, send, uniq  # noqa: E402
from smtp_peer import SmtpPeer  # noqa: E402
from sms_gateway import SmsGateway  # noqa: E402

START_MS = 1_790_000_000_000
BACKOFF_MS = 60_000
BACKOFF_MAX_MS = 240_000
ATTEMPTS = 4


def delivery_args(peer):
    return ["--smtp-url", peer.url(), "--smtp-from", "club@example.org", "--smtp-from-name", "باشگاه Club",
            "--delivery-poll-ms", "20", "--delivery-backoff-ms", str(BACKOFF_MS),
            "--delivery-backoff-max-ms", str(BACKOFF_MAX_MS), "--delivery-attempts", str(ATTEMPTS)]


class MessagesCase(harness.ServerCase):
    peer_kwargs = {}
    extra = []

    @classmethod
    def setUpClass(cls):
        cls.peer = SmtpPeer(**cls.peer_kwargs).start()
        cls.server_kwargs = {"clock_ms": START_MS, "extra_args": delivery_args(cls.peer) + cls.extra}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.peer.stop()

    def setUp(self):
        self.peer.set_answer(None)
        self.server.set_clock(START_MS + uniq() * 3 * 3600 * 1000)  # each test in its own hours

    def db(self):
        return sqlite3.connect("file:%s?mode=ro" % os.path.join(self.server.data_dir, "bashgah.db"), uri=True)

    def member_with_email(self, locale="en"):
        address = "m%d@example.org" % uniq()
        r = self.owner.post(API + "/members", {"given_name": "Mail%d" % uniq(), "email": address, "locale": locale})
        self.assertEqual(r.status, 201, r)
        return r.body, address

    def ask_code(self, address):
        r = send("127.0.0.1", self.server.port, "POST", API + "/portal/code",
                 ('{"email": "%s"}' % address).encode(), {"Content-Type": "application/json"})
        self.assertEqual(r.status, 202, r)
        code = self.owner.get("%s/members/%d/portal-code" % (API, self.member_id_of(address)))
        return code.body.get("code") if code.status == 200 else None

    def member_id_of(self, address):
        with self.db() as db:
            return db.execute("SELECT member_id FROM message_outbox WHERE destination = ? ORDER BY id DESC LIMIT 1",
                              (address,)).fetchone()[0]

    def outbox_row(self, address):
        with self.db() as db:
            return db.execute("SELECT id, status, reason, attempts, next_attempt_at, transactional FROM message_outbox "
                              "WHERE destination = ? ORDER BY id DESC LIMIT 1", (address,)).fetchone()

    def attempts(self, message_id):
        with self.db() as db:
            return db.execute("SELECT outcome, detail FROM message_attempts WHERE message_id = ? ORDER BY id",
                              (message_id,)).fetchall()

    def wait_row(self, address, pred, timeout=15.0):
        end = time.time() + timeout
        row = None
        while time.time() < end:
            row = self.outbox_row(address)
            if row and pred(row):
                return row
            time.sleep(0.05)
        self.fail("outbox row for %s never matched: %r" % (address, row))


class EmailDeliveryTest(MessagesCase):

    def test_code_email_reaches_the_smtp_server_once_and_is_marked_sent(self):
        _, address = self.member_with_email("en")
        code = self.ask_code(address)
        got = self.peer.wait_for(address)
        self.assertEqual(len(got), 1)
        row = self.wait_row(address, lambda r: r[1] == "sent")
        self.assertEqual((row[1], row[2], row[3], row[5]), ("sent", None, 1, 1))
        self.assertEqual([o for (o, _) in self.attempts(row[0])], ["sent"])
        msg = got[0]["msg"]
        self.assertEqual(msg["Subject"], "Your sign-in code")
        self.assertEqual(msg["To"].addresses[0].addr_spec, address)
        self.assertEqual(msg["From"].addresses[0].addr_spec, "club@example.org")
        self.assertEqual(msg["From"].addresses[0].display_name, "باشگاه Club")
        self.assertTrue(msg["Message-ID"].startswith("<m%d." % row[0]), msg["Message-ID"])
        self.assertTrue(msg["Date"])
        self.assertIsNone(msg["List-Unsubscribe"])  # a transactional message has none
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        text = msg.get_body(("plain",))
        self.assertIn(code, text.get_content())
        self.assertEqual(got[0]["from"], "club@example.org")
        time.sleep(0.3)
        self.assertEqual(len(self.peer.messages_to(address)), 1)  # sent is final: never again

    def test_smtp_connections_carry_message_after_message(self):
        addresses = []
        for _ in range(6):
            _, address = self.member_with_email()
            self.ask_code(address)
            addresses.append(address)
        peers = [self.peer.wait_for(a)[0]["peer"] for a in addresses]
        # the same client addresses and ports: each sender (DELIVERY_SENDERS, 2) reuses its one connection
        self.assertLessEqual(len(set(peers)), 2, peers)
        self.assertLess(len(set(peers)), len(peers), peers)

    def test_persian_subject_and_body_survive_the_encodings(self):
        _, address = self.member_with_email("fa")
        code = self.ask_code(address)
        got = self.peer.wait_for(address)
        self.assertEqual(len(got), 1)
        msg = got[0]["msg"]
        self.assertEqual(msg["Subject"], "کد ورود شما")
        self.assertIn(b"=?UTF-8?B?", got[0]["raw"])  # the header itself stays ASCII
        body = msg.get_body(("plain",)).get_content()
        self.assertIn("کد ورود شما به باشگاه مشتریان", body)
        self.assertIn(code, body)

    def test_temporary_refusal_is_retried_after_backoff_with_jitter(self):
        self.peer.set_answer("451 4.3.0 try again later")
        _, address = self.member_with_email()
        self.ask_code(address)
        row = self.wait_row(address, lambda r: r[1] == "deferred")
        self.assertEqual((row[2], row[3]), ("retry", 1))
        now = self.server.clock_now
        # equal jitter: between half and all of the first wait
        self.assertTrue(now + BACKOFF_MS // 2 <= row[4] <= now + BACKOFF_MS, (row[4] - now))
        outcome, detail = self.attempts(row[0])[0]
        self.assertEqual(outcome, "failed")
        self.assertIn("451", detail)
        time.sleep(0.3)  # not due yet: no second try
        self.assertEqual(self.outbox_row(address)[3], 1)
        self.peer.set_answer(None)
        self.server.advance(BACKOFF_MS)
        row = self.wait_row(address, lambda r: r[1] == "sent")
        self.assertEqual(row[3], 2)
        self.assertEqual([o for (o, _) in self.attempts(row[0])], ["failed", "sent"])
        self.assertEqual(len(self.peer.messages_to(address)), 1)

    def test_tries_stop_at_the_limit_with_growing_waits(self):
        self.peer.set_answer("421 4.7.0 busy")
        _, address = self.member_with_email()
        self.ask_code(address)
        waits = []
        for attempt in range(1, ATTEMPTS):
            row = self.wait_row(address, lambda r, a=attempt: r[3] == a)
            self.assertEqual(row[1], "deferred")
            waits.append(row[4] - self.server.clock_now)
            self.server.advance(row[4] - self.server.clock_now)
        row = self.wait_row(address, lambda r: r[1] == "failed")
        self.assertEqual((row[2], row[3]), ("attempts_exhausted", ATTEMPTS))
        self.assertEqual(len(self.attempts(row[0])), ATTEMPTS)
        for i, w in enumerate(waits):
            full = min(BACKOFF_MS * 2 ** i, BACKOFF_MAX_MS)
            self.assertTrue(full - full // 2 <= w <= full, (i, w, full))
        self.assertEqual(self.peer.messages_to(address), [])

    def test_permanent_refusal_fails_at_once(self):
        self.peer.set_answer("550 5.1.1 no such user")
        _, address = self.member_with_email()
        self.ask_code(address)
        row = self.wait_row(address, lambda r: r[1] == "failed")
        self.assertEqual((row[2], row[3]), ("refused", 1))
        self.assertIn("550", self.attempts(row[0])[0][1])

    def test_a_message_past_its_time_is_not_sent(self):
        self.peer.set_answer("451 4.3.0 later")
        _, address = self.member_with_email()
        self.ask_code(address)
        row = self.wait_row(address, lambda r: r[1] == "deferred")
        self.peer.set_answer(None)
        self.server.advance(11 * 60_000)  # the code lived 10 minutes
        row = self.wait_row(address, lambda r: r[1] == "failed")
        self.assertEqual((row[2], row[3]), ("expired", 1))
        self.assertEqual(self.peer.messages_to(address), [])



class SmsDeliveryTest(harness.ServerCase):
    """SMS through the HTTP gateway described by settings, with a gateway that fails on purpose."""

    @classmethod
    def setUpClass(cls):
        cls.gateway = SmsGateway().start()
        cls.server_kwargs = {"clock_ms": START_MS, "extra_args": [
            "--sms-url", cls.gateway.url() + "?key=k1", "--sms-headers", "Content-Type: application/json|X-Api-Key: k1",
            "--sms-cost-per-segment", "350", "--delivery-poll-ms", "20", "--delivery-backoff-ms", str(BACKOFF_MS),
            "--delivery-attempts", str(ATTEMPTS)]}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.gateway.stop()

    def setUp(self):
        self.gateway.answer = 200
        self.server.set_clock(START_MS + uniq() * 3 * 3600 * 1000)

    def row(self, phone):
        with sqlite3.connect("file:%s?mode=ro" % os.path.join(self.server.data_dir, "bashgah.db"), uri=True) as db:
            return db.execute("SELECT id, status, reason, attempts, segments, cost_minor, next_attempt_at "
                              "FROM message_outbox WHERE destination = ? ORDER BY id DESC LIMIT 1", (phone,)).fetchone()

    def wait_row(self, phone, pred, timeout=15.0):
        end = time.time() + timeout
        row = None
        while time.time() < end:
            row = self.row(phone)
            if row and pred(row):
                return row
            time.sleep(0.05)
        self.fail("outbox row for %s never matched: %r" % (phone, row))

    def ask(self, locale):
        phone = harness.unique_phone()
        r = self.owner.post(API + "/members", {"given_name": "Sms%d" % uniq(), "phone": phone, "locale": locale})
        self.assertEqual(r.status, 201, r)
        r = send("127.0.0.1", self.server.port, "POST", API + "/portal/code", ('{"phone": "%s"}' % phone).encode(),
                 {"Content-Type": "application/json"})
        self.assertEqual(r.status, 202, r)
        return phone

    def test_persian_code_goes_to_the_gateway_with_its_segments_and_cost(self):
        phone = self.ask("fa")
        row = self.wait_row(phone, lambda r: r[1] == "sent")
        got = self.gateway.to(phone)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["path"], "/send?key=k1")
        self.assertEqual(got[0]["headers"].get("X-Api-Key"), "k1")
        self.assertIn("کد ورود شما به باشگاه مشتریان", got[0]["body"]["text"])
        self.assertEqual(got[0]["body"]["id"], str(row[0]))
        # 63 UCS-2 units: one part
        self.assertEqual((row[4], row[5]), (1, 350))

    def test_gateway_failures_are_retried_with_backoff(self):
        self.gateway.answer = 503
        phone = self.ask("en")
        row = self.wait_row(phone, lambda r: r[1] == "deferred")
        self.assertEqual(row[3], 1)
        self.assertTrue(self.server.clock_now + BACKOFF_MS // 2 <= row[6] <= self.server.clock_now + BACKOFF_MS)
        self.gateway.answer = 200
        self.server.advance(BACKOFF_MS)
        row = self.wait_row(phone, lambda r: r[1] == "sent")
        self.assertEqual(row[3], 2)
        self.assertEqual(len(self.gateway.to(phone)), 1)

    def test_a_refusal_fails_at_once(self):
        self.gateway.answer = 400
        phone = self.ask("en")
        row = self.wait_row(phone, lambda r: r[1] == "failed")
        self.assertEqual((row[2], row[3]), ("refused", 1))


def tls_context():
    """A server TLS context with a throwaway self-signed certificate (openssl)."""
    d = harness.make_tempdir("bashgah-tls-")
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


class StartTlsAuthTest(MessagesCase):
    """A server that requires STARTTLS and a login before it takes mail: the worker upgrades and signs in."""
    extra = ["--smtp-user", "club", "--smtp-password", "s3cret", "--smtp-require-tls", "--smtp-insecure-tls"]

    @classmethod
    def setUpClass(cls):
        cls.peer_kwargs = {"tls_context": tls_context(), "require_starttls": True, "auth": ("club", "s3cret")}
        super().setUpClass()

    def test_mail_goes_over_starttls_after_login(self):
        _, address = self.member_with_email()
        code = self.ask_code(address)
        got = self.peer.wait_for(address)
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0]["tls"])
        self.assertTrue(got[0]["auth"])
        self.assertIn(code, got[0]["msg"].get_body(("plain",)).get_content())
        self.wait_row(address, lambda r: r[1] == "sent")


class RequireTlsTest(MessagesCase):
    """--smtp-require-tls against a server without STARTTLS: nothing is sent in clear; the message waits."""
    extra = ["--smtp-require-tls"]

    def test_no_starttls_no_mail(self):
        _, address = self.member_with_email()
        self.ask_code(address)
        row = self.wait_row(address, lambda r: r[1] == "deferred")
        self.assertEqual(row[3], 1)
        self.assertEqual(self.peer.messages_to(address), [])


if __name__ == "__main__":
    harness.main()
