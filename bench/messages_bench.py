"""The messages benchmark: deliver N emails to a local SMTP server (bench/smtp_sink.py, aiosmtpd) through bashgah's
outbox and delivery worker, against the server's own ceiling measured in the same run by a plain SMTP client
(smtplib, one connection, the same N messages). Prints one line per figure and a verdict against the targets
(at least 500 messages a second, and at least half the ceiling).
Usage: messages_bench.py BASHGAH_BIN TMPDIR N"""

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request

TARGET_RATE = 500
TIMEOUT_S = 1800


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(here, tmp, tag):
    port = free_port()
    count_file = os.path.join(tmp, "sink-%s.count" % tag)
    p = subprocess.Popen([sys.executable, os.path.join(here, "smtp_sink.py"), str(port), count_file],
                         stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        raise SystemExit("smtp_sink did not start")
    return p, port, count_file


def stop_sink(p, count_file):
    p.terminate()
    p.wait(timeout=30)
    with open(count_file) as f:
        return int(f.read())


def ceiling(here, tmp, n):
    p, port, count_file = start_sink(here, tmp, "ceiling")
    msg = ("From: <club@example.org>\r\nTo: <m@example.org>\r\nSubject: News\r\n\r\nHello from the club\r\n")
    t0 = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port) as c:
        for i in range(n):
            c.sendmail("club@example.org", ["m%d@example.org" % i], msg)
    elapsed = time.monotonic() - t0
    got = stop_sink(p, count_file)
    return n / elapsed, got


def api(port, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method,
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def bashgah(binary, here, tmp, n):
    data = os.path.join(tmp, "msgdata")
    csv = os.path.join(tmp, "msg-members.csv")
    with open(csv, "w") as f:
        f.write("external_ref,given_name,email,locale,consent_email\n")
        for i in range(n):
            f.write("B-%07d,Member %d,b%d@example.org,%s,true\n" % (i, i, i, "fa" if i % 2 else "en"))
    subprocess.run([binary, "member", "import", "--data", data, csv], check=True, capture_output=True,
                   env=dict(os.environ, BASHGAH_OWNER_PASSWORD="bench-owner-password"))
    key = subprocess.run([binary, "apikey", "create", "--data", data, "--role", "owner", "--name", "bench"],
                         check=True, capture_output=True, text=True).stdout.split()[-1]
    sink, sport, count_file = start_sink(here, tmp, "bashgah")
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--data", data, "--listen", "127.0.0.1:%d" % port, "--access-log",
                               "off", "--log-level", "warn", "--smtp-url", "smtp://127.0.0.1:%d" % sport,
                               "--delivery-poll-ms", "20"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if b"listening" not in server.stdout.readline() + server.stdout.readline() + server.stdout.readline():
        pass
    for _ in range(100):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    t0 = time.monotonic()
    b = api(port, key, "POST", "/api/v1/broadcasts", {"audience": {"all": True}, "channel": "email",
                                                      "subject": {"en": "News for {given_name}", "fa": "خبر"},
                                                      "body": {"en": "You have {points} points", "fa": "{points}"}})
    queued = time.monotonic() - t0
    report = None
    while time.monotonic() - t0 < TIMEOUT_S:
        report = api(port, key, "GET", "/api/v1/broadcasts/%d" % b["id"])
        c = report["counts"]
        if c["queued"] == 0 and c["deferred"] == 0:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - t0
    with open("/proc/%d/status" % server.pid) as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    server.terminate()
    server.wait(timeout=60)
    got = stop_sink(sink, count_file)
    return n / elapsed, queued, rss_kb, report["counts"], got


def main():
    binary, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    here = os.path.dirname(os.path.abspath(__file__))
    ceil_rate, ceil_got = ceiling(here, tmp, n)
    rate, queued_s, rss_kb, counts, got = bashgah(binary, here, tmp, n)
    ok = rate >= TARGET_RATE and rate >= ceil_rate / 2 and counts["sent"] == n and got >= n
    print("messages: peer ceiling (plain SMTP client, one connection): %.0f msg/s (%d received)" % (ceil_rate, ceil_got))
    print("messages: bashgah %d emails: %.0f msg/s end to end (broadcast written in %.1f s), peak RSS %.1f MB, "
          "sent %d, received by the peer %d" % (n, rate, queued_s, rss_kb / 1024, counts["sent"], got))
    print("messages: target >= %d msg/s and >= half the ceiling: %s" % (TARGET_RATE, "ok" if ok else "below target"))
    sys.exit(0)


if __name__ == "__main__":
    main()
