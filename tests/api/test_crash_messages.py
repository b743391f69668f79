"""The messages crash test: the server is killed with SIGKILL while a broadcast is being delivered to a real SMTP
server (aiosmtpd, slowed a little so delivery is in flight); after a restart on the same data dir every message is
delivered, the outbox holds exactly one message per recipient (none lost, none invented), and no message that was
marked sent before the kill reaches the SMTP server again. Messages handed over but not yet marked sent may arrive
twice (at least once); at most one worker batch of them."""

import os
import re
import sqlite3
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, uniq  # noqa: E402
from smtp_peer import SmtpPeer  # noqa: E402

RECIPIENTS = 300
BATCH_MAX = 32  # DELIVERY_BATCH_MAX in src/jobs/delivery.h
SENDERS = 2  # DELIVERY_SENDERS in src/jobs/delivery.h: each may have one batch in flight
MESSAGE_ID = re.compile(r"<m(\d+)\.")


def received_ids(peer):
    with peer.lock:
        return [int(MESSAGE_ID.match(m["msg"]["Message-ID"]).group(1)) for m in peer.received]


class CrashMessagesTest(unittest.TestCase):

    def test_sigkill_during_a_broadcast_loses_nothing_and_resends_nothing_marked_sent(self):
        peer = SmtpPeer().start()
        self.addCleanup(peer.stop)
        server = harness.Server(extra_args=["--smtp-url", peer.url(), "--delivery-poll-ms", "20"]).start()
        owner = server.client(server.apikey("owner"))
        ids = []
        for i in range(RECIPIENTS):
            r = owner.post(API + "/members", {"given_name": "Crash%d" % i, "email": "c%d-%d@example.org" % (uniq(), i),
                                              "locale": "fa" if i % 2 else "en", "consent": {"email": True}})
            self.assertEqual(r.status, 201, r)
            ids.append(r.body["id"])
        seg = owner.post(API + "/segments", {"name": "crash", "kind": "static", "members": ids})
        self.assertEqual(seg.status, 201, seg)
        peer.delay = 0.004
        r = owner.post(API + "/broadcasts", {"audience": {"segment": seg.body["id"]}, "channel": "email",
                                             "subject": {"en": "News", "fa": "خبر"}, "body": {"en": "N", "fa": "خ"}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.body["recipients"], RECIPIENTS)
        bid = r.body["id"]
        end = time.time() + 30
        while len(received_ids(peer)) < RECIPIENTS // 3 and time.time() < end:
            time.sleep(0.005)
        server.kill9()
        before = received_ids(peer)
        self.assertLess(len(before), RECIPIENTS, "everything was delivered before the kill: the test proves nothing")
        db_path = os.path.join(server.data_dir, "bashgah.db")
        with sqlite3.connect("file:%s?mode=ro" % db_path, uri=True) as db:
            marked = {i for (i,) in db.execute("SELECT id FROM message_outbox WHERE kind = 'broadcast' AND ref_id = ? "
                                               "AND status = 'sent'", (bid,))}
        self.assertTrue(marked, "nothing was marked sent before the kill")
        self.assertTrue(marked <= set(before), "a message is marked sent that the SMTP server never received")

        peer.delay = 0
        server.restart()
        owner = server.client(server.apikey("owner"))
        end = time.time() + 60
        report = None
        while time.time() < end:
            report = owner.get("%s/broadcasts/%d" % (API, bid)).body
            if report["counts"]["sent"] == RECIPIENTS:
                break
            time.sleep(0.1)
        self.assertEqual(report["counts"], {"queued": 0, "deferred": 0, "sent": RECIPIENTS, "failed": 0,
                                            "suppressed": 0})
        got = received_ids(peer)
        with sqlite3.connect("file:%s?mode=ro" % db_path, uri=True) as db:
            all_ids = {i for (i,) in db.execute("SELECT id FROM message_outbox WHERE kind = 'broadcast' AND ref_id = ?",
                                                (bid,))}
        self.assertEqual(len(all_ids), RECIPIENTS)
        self.assertEqual(set(got), all_ids)  # every message delivered
        after = got[len(before):]
        self.assertEqual(marked & set(after), set(), "a message marked sent before the kill was sent again")
        twice = [i for i in set(got) if got.count(i) > 1]
        self.assertLessEqual(len(twice), BATCH_MAX * SENDERS, twice)
        print("\ncrash: %d delivered before the kill, %d marked sent, %d sent twice (in flight at the kill)"
              % (len(before), len(marked), len(twice)), file=sys.stderr)
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    harness.main()
