#!/usr/bin/python3
"""For the demo: a real Postfix on 127.0.0.1 (one smtpd with STARTTLS, one without), configured
in DIRECTORY with the demo's certificate, the way the integration tests start it. Prints
"smtp=PORT plain=PORT" once it listens, and stops Postfix when it gets SIGTERM."""

import signal
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from harness import Processes  # noqa: E402
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
    print(f"smtp={ports['smtp']} plain={ports['plain']}", flush=True)
    signal.pause()


if __name__ == "__main__":
    main()
