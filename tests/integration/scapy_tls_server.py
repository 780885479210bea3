#!/usr/bin/python3
"""A real SSLv2/SSLv3-capable server for the version tests: scapy's TLSServerAutomaton (Debian
python3-scapy). It answers whatever version a client offers, SSLv2 CLIENT-HELLOs included, which
no OpenSSL or GnuTLS build in Debian 12 still does.

    scapy_tls_server.py PORT CERT KEY
"""

import logging
import sys

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.layers.tls.automaton_srv import TLSServerAutomaton  # noqa: E402


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = TLSServerAutomaton(server="127.0.0.1", sport=port, mycert=cert, mykey=key,
                                is_echo_server=False, max_client_idle_time=5, verbose=False)
    server.run()


if __name__ == "__main__":
    main()
