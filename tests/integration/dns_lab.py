"""DNS and MTA-STS for the mail tests, all on loopback: real servers from Debian, configured in a
temporary directory and started under `processes` (stopped at teardown).

- DnsLab: zones under `example.` (libunbound treats `test.` and the other special-use names as
  local zones), signed with ldns-keygen (ECDSAP256SHA256 KSK + ZSK) and ldns-signzone (NSEC),
  served by one NSD 4 in the foreground on 127.0.0.1 (UDP and TCP). NSD answers from the most
  specific zone it hosts, and DS queries from the parent, so a forwarding validator (libunbound
  with --dns-server, delv) walks the chain from the trust anchor without recursion.
- SilentDns: takes UDP queries and TCP connections and never answers.
- tlsa_rdata: the RDATA of a TLSA record for a certificate (RFC 6698).
- mta_sts_server: nginx serving HTTPS with a chain made by pki.py, for MTA-STS policies.
"""

import base64
import datetime
import hashlib
import random
import socket
import struct
import subprocess
import textwrap
import threading
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness import ServerFailure, SilentServer, free_port, stderr_tail
from servers import nginx

TTL = 300
ALGORITHM = "ECDSAP256SHA256"


def _absolute(name):
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def _run(*argv, cwd=None):
    result = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited with status {result.returncode}:\n"
                           f"{result.stdout}{result.stderr}")
    return result.stdout


def _free_udp_and_tcp_port(address="127.0.0.1"):
    """A port free for both TCP and UDP on `address` (free_port checks TCP only)."""
    for _ in range(50):
        port = free_port(address)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no port free for both UDP and TCP on {address}")


def _query(name, rrtype=6):
    """A DNS query (RD clear, no EDNS) for `name`: the packet and its id."""
    ident = random.randrange(65536)
    labels = [label for label in name.rstrip(".").split(".") if label]
    qname = b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\0"
    return struct.pack("!HHHHHH", ident, 0, 1, 0, 0, 0) + qname + struct.pack("!HH", rrtype, 1), ident


def _answers_authoritatively(port, zone, timeout=0.3):
    """True when 127.0.0.1@port answers the SOA of `zone` with NOERROR and AA."""
    packet, ident = _query(zone)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(timeout)
        try:
            client.sendto(packet, ("127.0.0.1", port))
            reply = client.recv(4096)
        except OSError:
            return False
    if len(reply) < 12:
        return False
    rid, flags, _, ancount = struct.unpack("!HHHH", reply[:8])
    return rid == ident and flags & 0x8000 and flags & 0x0400 and flags & 0x000F == 0 and ancount >= 1


class Zone:
    """One zone of a DnsLab: SOA, NS ns.<zone> and ns.<zone> A 127.0.0.1 are made for it; add()
    appends zone-file lines relative to the zone ("@ MX 10 mx1", "mx1 A 127.0.0.2")."""

    def __init__(self, name, signed):
        self.name = _absolute(name)
        self.signed = signed
        self.lines = []
        self.ksk = None        # key base names (in DnsLab's keys directory) once signed
        self.zsk = None
        self.file = None       # the file NSD serves (the signed one for a signed zone)

    def add(self, text):
        """Zone-file lines (one or several, indentation ignored), relative to the zone's origin."""
        self.lines += [line for line in textwrap.dedent(text).strip().splitlines() if line.strip()]
        return self

    def __repr__(self):
        return f"Zone({self.name!r}, signed={self.signed})"


class DnsLab:
    """Authoritative zones on one NSD: zone() and delegate() describe them, corrupt() breaks a
    signature, start() signs, writes nsd.conf, starts NSD and returns its port."""

    def __init__(self, processes, directory):
        self.processes = processes
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.zones = {}
        self.delegations = []          # (parent, child) Zones
        self.corruptions = []          # (owner, rrtype)
        self.port = None
        self.process = None
        self.trust_anchor = self.dir / "trust-anchor.ds"

    def zone(self, name, signed=True):
        zone = Zone(name, signed)
        if zone.name in self.zones:
            raise ValueError(f"zone {zone.name} made twice")
        self.zones[zone.name] = zone
        return zone

    def delegate(self, parent, child):
        """At start(), NS ns.<child> (with glue 127.0.0.1) and, when the child is signed, its DS go
        into the parent. A signed parent with an unsigned child: an insecure delegation (the
        parent's NSEC at the child's name proves there is no DS)."""
        if not child.name.endswith("." + parent.name):
            raise ValueError(f"{child.name} is not below {parent.name}")
        self.delegations.append((parent, child))

    def corrupt(self, owner, rrtype):
        """After signing, damage the signature bytes of every RRSIG covering (owner, rrtype)
        (owner a fully qualified name), so that a validator finds the RRset bogus."""
        self.corruptions.append((_absolute(owner), rrtype.upper()))

    def server(self):
        """What --dns-server takes: 127.0.0.1@PORT."""
        if self.port is None:
            raise RuntimeError("DnsLab.start() has not run")
        return f"127.0.0.1@{self.port}"

    # -- start -------------------------------------------------------------------------------

    def _children(self, zone):
        return [child for parent, child in self.delegations if parent is zone]

    def _signing_order(self):
        """Children before their parents: a parent's file needs its children's DS."""
        order, seen = [], set()

        def visit(zone, path):
            if zone.name in path:
                raise ValueError(f"delegation loop through {zone.name}")
            if zone.name in seen:
                return
            for child in self._children(zone):
                visit(child, path | {zone.name})
            seen.add(zone.name)
            order.append(zone)

        for zone in self.zones.values():
            visit(zone, frozenset())
        return order

    def _relative(self, zone, name):
        return "@" if name == zone.name else name[:-len(zone.name) - 1]

    def _zone_text(self, zone):
        lines = [f"$ORIGIN {zone.name}", f"$TTL {TTL}",
                 f"@ IN SOA ns.{zone.name} hostmaster.{zone.name} 2024010101 3600 900 604800 {TTL}",
                 f"@ IN NS ns.{zone.name}",
                 "ns IN A 127.0.0.1"]
        lines += zone.lines
        for child in self._children(zone):
            label = self._relative(zone, child.name)
            lines += [f"{label} IN NS ns.{child.name}", f"ns.{label} IN A 127.0.0.1"]
            if child.signed:  # ldns-key2ds writes the key file's TTL (3600); the zone's is TTL
                lines += [" ".join([fields[0], str(TTL), *fields[2:]])
                          for fields in map(str.split, self._ds(child).splitlines()) if fields]
        return "\n".join(lines) + "\n"

    def _keys(self, zone):
        keys = self.dir / "keys"
        keys.mkdir(exist_ok=True)
        # ldns-keygen prints the base name K<zone>+<alg>+<id>; reads /dev/random by default,
        # which blocks nowhere on a Linux with getrandom, but urandom says what is meant.
        zone.ksk = _run("ldns-keygen", "-a", ALGORITHM, "-k", "-r", "/dev/urandom", zone.name, cwd=keys).strip()
        zone.zsk = _run("ldns-keygen", "-a", ALGORITHM, "-r", "/dev/urandom", zone.name, cwd=keys).strip()

    def _ds(self, zone):
        """The DS (SHA-256) of the zone's KSK, in zone-file syntax."""
        return _run("ldns-key2ds", "-n", "-2", f"{zone.ksk}.key", cwd=self.dir / "keys")

    def _sign(self, zone, unsigned):
        keys = self.dir / "keys"
        today = datetime.datetime.now(datetime.timezone.utc)
        inception = (today - datetime.timedelta(days=1)).strftime("%Y%m%d")
        expiration = (today + datetime.timedelta(days=30)).strftime("%Y%m%d")
        signed = unsigned.with_suffix(".signed")
        _run("ldns-signzone", "-o", zone.name, "-i", inception, "-e", expiration, "-f", signed, unsigned,
             keys / zone.ksk, keys / zone.zsk)
        return signed

    def _apply_corruptions(self):
        for owner, rrtype in self.corruptions:
            hits = 0
            for zone in self.zones.values():
                if not zone.signed:
                    continue
                lines = zone.file.read_text().splitlines()
                for index, line in enumerate(lines):
                    fields = line.split()
                    # owner TTL class RRSIG covered alg labels origttl expire incept tag signer sig...
                    if (len(fields) >= 13 and fields[3] == "RRSIG" and fields[0].lower() == owner
                            and fields[4].upper() == rrtype):
                        signature = bytearray(base64.b64decode("".join(fields[12:])))
                        signature[len(signature) // 2] ^= 0xFF
                        lines[index] = "\t".join(fields[:12] + [base64.b64encode(bytes(signature)).decode()])
                        hits += 1
                zone.file.write_text("\n".join(lines) + "\n")
            if not hits:
                raise ValueError(f"no RRSIG covers {owner} {rrtype} in the signed zones")

    def _write_trust_anchor(self):
        delegated = {child.name for _, child in self.delegations}
        anchors = [self._ds(zone) for zone in self.zones.values() if zone.signed and zone.name not in delegated]
        self.trust_anchor.write_text("".join(anchors))

    def _config(self, port):
        zones = "".join(f'zone:\n    name: "{zone.name}"\n    zonefile: "{zone.file}"\n'
                        for zone in self.zones.values())
        nsd = self.dir / "nsd"
        nsd.mkdir(exist_ok=True)
        (nsd / "xfr").mkdir(exist_ok=True)
        config = nsd / "nsd.conf"
        # Every path NSD would default to /etc/nsd, /var/lib/nsd, /run or /tmp is inside the
        # directory, so two labs run side by side; username "" keeps root (no chroot either).
        config.write_text(f"""\
server:
    ip-address: 127.0.0.1@{port}
    do-ip6: no
    server-count: 1
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "{nsd}"
    database: ""
    zonelistfile: "{nsd}/zone.list"
    xfrdfile: "{nsd}/xfrd.state"
    xfrdir: "{nsd}/xfr"
    pidfile: "{nsd}/nsd.pid"
    cookie-secret-file: "{nsd}/cookiesecrets.txt"
    verbosity: 1
    hide-version: yes
remote-control:
    control-enable: no
{zones}""")
        return config

    def start(self):
        if self.process is not None:
            raise RuntimeError("DnsLab.start() called twice")
        if not self.zones:
            raise ValueError("a DnsLab needs a zone")
        zones_dir = self.dir / "zones"
        zones_dir.mkdir(exist_ok=True)
        for zone in self._signing_order():
            if zone.signed:
                self._keys(zone)
            unsigned = zones_dir / f"{zone.name.rstrip('.')}.zone"
            unsigned.write_text(self._zone_text(zone))
            zone.file = self._sign(zone, unsigned) if zone.signed else unsigned
        self._apply_corruptions()
        self._write_trust_anchor()
        port = _free_udp_and_tcp_port()
        config = self._config(port)
        _run("nsd-checkconf", config)
        self.process = self.processes.start(["nsd", "-d", "-c", str(config)], port)
        self.port = port
        # Listening on TCP comes before the zones are loaded: wait until each one answers.
        deadline = time.monotonic() + 10
        waiting = list(self.zones)
        while waiting:
            if self.process.poll() is not None:
                raise ServerFailure(f"nsd exited with status {self.process.returncode}{stderr_tail(self.process)}")
            waiting = [name for name in waiting if not _answers_authoritatively(port, name)]
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"nsd on port {port} does not answer for {waiting}{stderr_tail(self.process)}")
            if waiting:
                time.sleep(0.05)
        return port


class SilentDns:
    """A DNS 'server' on 127.0.0.1 that never answers: UDP queries are read and dropped, TCP
    connections accepted and left silent. Closed at teardown when `processes` is given, else by
    close() (a context manager too)."""

    def __init__(self, processes=None):
        for _ in range(50):
            tcp = SilentServer()
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind(("127.0.0.1", tcp.port))
            except OSError:
                udp.close()
                tcp.close()
                continue
            break
        else:
            raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")
        self.tcp, self.udp, self.port = tcp, udp, tcp.port
        self.datagrams = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()
        if processes is not None:
            processes.stoppers.append(self.close)

    def _drain(self):
        while True:
            try:
                self.udp.recv(65535)
            except OSError:
                return
            self.datagrams += 1

    def server(self):
        return f"127.0.0.1@{self.port}"

    def close(self):
        self.tcp.close()
        try:
            self.udp.shutdown(socket.SHUT_RDWR)   # wakes the thread blocked in recv
        except OSError:
            pass
        self.udp.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def tlsa_rdata(cert_pem_path, usage, selector, matching):
    """'3 1 1 <hex>' (RFC 6698 2.1): selector 0 = the whole certificate (DER), 1 = its
    SubjectPublicKeyInfo (DER); matching 0 = the data itself, 1 = SHA-256, 2 = SHA-512."""
    certificate = x509.load_pem_x509_certificate(Path(cert_pem_path).read_bytes())
    if selector == 0:
        data = certificate.public_bytes(serialization.Encoding.DER)
    elif selector == 1:
        data = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        raise ValueError(f"TLSA selector {selector}")
    digest = {0: lambda d: d, 1: lambda d: hashlib.sha256(d).digest(), 2: lambda d: hashlib.sha512(d).digest()}
    if matching not in digest:
        raise ValueError(f"TLSA matching type {matching}")
    return f"{usage} {selector} {matching} {digest[matching](data).hex()}"


MTA_STS_SERVER = """\
    server {{
        listen {address}:{port} ssl;
        ssl_certificate {certificate};
        ssl_certificate_key {key};
        root {www};
        location / {{ return 404; }}
{locations}    }}
"""


def _nginx_string(text):
    """`text` quoted for nginx.conf; nginx would expand $variables, so they are refused too."""
    if any(c in text for c in '"\\\n\r$'):
        raise ValueError(f"unsupported character for nginx.conf in {text!r}")
    return f'"{text}"'


def mta_sts_server(processes, directory, chain, address, files, port=443):
    """nginx serving HTTPS on address:port with `chain` (pki.Chain: the leaf, then its chain).
    `files` maps a URL path to (body_bytes, content_type), served with that Content-Type, or to
    ("redirect", target_url), a 301 to the target; every other path is a 404."""
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True)
    www = base / "www"
    www.mkdir(exist_ok=True)
    try:
        with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((address, port))
    except OSError as error:
        raise RuntimeError(f"the MTA-STS server cannot listen on {address} port {port}: {error}") from error
    certificate = base / "server-fullchain.pem"
    certificate.write_bytes(chain.leaf.read_bytes() + chain.chain.read_bytes())
    key = base / "server.key"
    key.write_bytes(chain.key.read_bytes())
    key.chmod(0o600)
    locations = ""
    for index, (path, (first, second)) in enumerate(files.items()):
        if not path.startswith("/") or any(c in path for c in ' ";{}\n'):
            raise ValueError(f"unsupported URL path {path!r}")
        if first == "redirect":
            body = f"return 301 {_nginx_string(second)};"
        else:
            served = www / f"file{index}"
            served.write_bytes(first)
            body = f"default_type {_nginx_string(second)}; alias {served};"
        locations += f"        location = {path} {{ {body} }}\n"
    host = f"[{address}]" if ":" in address else address
    server = MTA_STS_SERVER.format(address=host, port=port, certificate=certificate, key=key, www=www,
                                   locations=locations)
    nginx(processes, base, server, port, address=address, family=socket.AF_INET6 if ":" in address else socket.AF_INET)
