#!/usr/bin/python3
"""For the demo: a real Postfix on 127.0.0.1 (one smtpd with STARTTLS, one without), configured
in DIRECTORY with the demo's certificate, the way the integration tests start it; and a real NSD
serving two signed mail domains whose MX is that Postfix: demo.example. with a TLSA record that
matches its key, stale.example. with one left from an old key. Prints "smtp=PORT plain=PORT
dns=ADDR@PORT anchor=FILE" once everything listens, and stops it all on SIGTERM."""

import signal
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from harness import Processes  # noqa: E402
from dns_lab import DnsLab, tlsa_rdata  # noqa: E402
from servers import postfix  # noqa: E402


@dataclass
class DemoChain:
    leaf: Path
    key: Path
    chain: Path


def main():
    directory = Path(sys.argv[1])
    (directory / "postfix").mkdir()
    processes = Processes()
    stop = lambda *_: (processes.stop_all(), sys.exit(0))  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    ports = postfix(processes, directory / "postfix",
                    DemoChain(directory / "server90.pem", directory / "server90.key", directory / "ca.pem"))
    lab = DnsLab(processes, directory / "dns")
    fresh = lab.zone("demo.example.")
    fresh.add(f"@ MX 10 mx1\nmx1 A 127.0.0.1\n_{ports['smtp']}._tcp.mx1 TLSA {tlsa_rdata(directory / 'server90.pem', 3, 1, 1)}")
    stale = lab.zone("stale.example.")
    stale.add(f"@ MX 10 mx1\nmx1 A 127.0.0.1\n_{ports['smtp']}._tcp.mx1 TLSA 3 1 1 {'5e' * 32}")
    lab.start()
    print(f"smtp={ports['smtp']} plain={ports['plain']} dns={lab.server()} anchor={lab.trust_anchor}", flush=True)
    signal.pause()


if __name__ == "__main__":
    main()
