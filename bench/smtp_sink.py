"""An SMTP server for the messages benchmark (Debian's python3-aiosmtpd): accepts and counts every message, and
writes the count to COUNT_FILE on SIGTERM. Usage: smtp_sink.py PORT COUNT_FILE. Prints "ready" once listening."""

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main():
    port, count_file = int(sys.argv[1]), sys.argv[2]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    controller.stop()
    with open(count_file, "w") as f:
        f.write("%d\n" % sink.count)


if __name__ == "__main__":
    main()
