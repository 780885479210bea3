"""A certificate authority made at test time with `openssl ca` and its index file, and the servers
that tell whether its certificates are revoked, all on 127.0.0.1.

    root (self-signed) -> intermediate -> leaves

The intermediate issues the leaves and signs their OCSP responses and CRLs; the root signs the
intermediate's. Every port is chosen when the Lab is made, so that the certificates can name their
OCSP responder (authorityInfoAccess) and CRL distribution point before any server listens:

- nginx (Debian's package, started with its own configuration under the test directory) serves
  `www/`: the CRLs, fixed OCSP responses (a POST to a static file is answered with the file:
  `error_page 405 =200 $uri`) and an HTML page at /ocsp-html for any method;
- OCSP responders: `openssl ocsp -index ... -rsigner ... -rkey ... -CA ...` makes every response.
  OpenSSL 3.0's `ocsp -port` listens on [::] (every address, not loopback only), so each responder
  is an HTTP front bound to 127.0.0.1 that hands the request body to `openssl ocsp -reqin
  -respout` (the same make_ocsp_response code) and counts the requests it got;
- TLS servers: `openssl s_server`, with `-status_file` for a stapled response.

What neither `openssl ca` nor `openssl ocsp` can make, an OCSP response whose nextUpdate has
passed, is made with python3-cryptography's OCSPResponseBuilder.
"""

import base64
import datetime
import http.server
import os
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from harness import free_port, openssl_server
from pki import Chain
from servers import nginx

MIB = 1024 * 1024


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def openssl_time(moment):
    """YYYYMMDDHHMMSSZ, the form `openssl ca` takes for -startdate, -enddate, -crl_lastupdate."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M%SZ")


def run(*argv, cwd=None, input=None):
    result = subprocess.run([str(a) for a in argv], cwd=cwd, input=input, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed with status {result.returncode}:\n"
                           f"{result.stderr.decode(errors='replace')}")
    return result.stdout


def new_key(path, kind="ec"):
    """An EC P-256 key (fast to make), or RSA with kind 'rsa:2048'."""
    if kind == "ec":
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    else:
        bits = kind.split(":")[1]
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}", "-out", path)
    return Path(path)


CA_CONFIG = """\
[ca]
default_ca = CA_default
[CA_default]
dir = {dir}
database = {dir}/index.txt
serial = {dir}/serial
crlnumber = {dir}/crlnumber
new_certs_dir = {dir}/certs
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_days = 365
default_crl_days = 1
crl_extensions = crl_ext
[policy_any]
commonName = supplied
[req]
distinguished_name = req_dn
[req_dn]
[crl_ext]
authorityKeyIdentifier = keyid:always
{extra}
"""


class Authority:
    """One `openssl ca` database: its directory, key, certificate, index.txt and serial file."""

    def __init__(self, directory, name, key_kind="ec"):
        self.dir = Path(directory)
        self.name = name
        (self.dir / "certs").mkdir(parents=True)
        (self.dir / "index.txt").touch()
        (self.dir / "index.txt.attr").write_text("unique_subject = no\n")
        (self.dir / "crlnumber").write_text("1000\n")
        self.set_next_serial(int.from_bytes(os.urandom(8), "big") | 1 << 62)
        self.key = new_key(self.dir / "ca.key", key_kind)
        self.cert = self.dir / "ca.pem"

    @property
    def index(self):
        return self.dir / "index.txt"

    def config(self, extra=""):
        """The `openssl ca` configuration, with `extra` sections; a new file each time (the CRL
        scope sections differ from CRL to CRL)."""
        handle, path = tempfile.mkstemp(prefix="ca-", suffix=".cnf", dir=self.dir)
        with os.fdopen(handle, "w") as out:
            out.write(CA_CONFIG.format(dir=self.dir, extra=extra))
        return Path(path)

    def set_next_serial(self, serial):
        digits = f"{serial:X}"
        (self.dir / "serial").write_text(digits.rjust(len(digits) + len(digits) % 2, "0") + "\n")

    def sign(self, csr, out, extensions, start, end, serial=None):
        """Issues `csr` with the extension lines `extensions` (openssl x509v3 config syntax)."""
        if serial is not None:
            self.set_next_serial(serial)
        extfile = out.with_suffix(".ext")
        extfile.write_text("[ext]\n" + "\n".join(extensions) + "\n")
        run("openssl", "ca", "-batch", "-notext", "-config", self.config(), "-cert", self.cert, "-keyfile", self.key,
            "-in", csr, "-out", out, "-extfile", extfile, "-extensions", "ext",
            "-startdate", openssl_time(start), "-enddate", openssl_time(end))
        return out

    def revoke(self, cert, reason="keyCompromise"):
        run("openssl", "ca", "-config", self.config(), "-cert", self.cert, "-keyfile", self.key, "-revoke", cert,
            "-crl_reason", reason)

    def index_without(self, serial, out):
        """A copy of index.txt that does not know `serial`: a responder using it answers unknown."""
        lines = [line for line in self.index.read_text().splitlines(keepends=True)
                 if line.split("\t")[3].lstrip("0") != f"{serial:X}".lstrip("0")]
        Path(out).write_text("".join(lines))
        return Path(out)

    def gencrl(self, out_der, last_update=None, next_update=None, idp_url=None, signer=None, index=None):
        """A DER CRL of this database (or of `index`), signed by this CA or by `signer` (cert, key)
        and, with `idp_url`, scoped by an issuingDistributionPoint naming it."""
        extra = ""
        section = "crl_ext"
        if idp_url:
            section = "crl_idp"
            extra = (f"[crl_idp]\nauthorityKeyIdentifier = keyid:always\n"
                     f"issuingDistributionPoint = critical, @idp\n[idp]\nfullname = URI:{idp_url}\n")
        if signer is not None:
            # another key: no authorityKeyIdentifier (it would name the other key), the issuer's name
            section = "crl_plain"
            extra += "[crl_plain]\n"
        config = self.config(extra)
        if index is not None:
            text = config.read_text().replace(f"database = {self.dir}/index.txt", f"database = {index}")
            config.write_text(text)
        now = utc_now()
        last_update = last_update or now - datetime.timedelta(minutes=10)
        next_update = next_update or now + datetime.timedelta(days=1)
        cert, key = signer if signer is not None else (self.cert, self.key)
        pem = Path(str(out_der) + ".pem")
        run("openssl", "ca", "-gencrl", "-config", config, "-cert", cert, "-keyfile", key, "-crlexts", section,
            "-crl_lastupdate", openssl_time(last_update), "-crl_nextupdate", openssl_time(next_update),
            "-out", pem)
        run("openssl", "crl", "-in", pem, "-outform", "DER", "-out", out_der)
        pem.unlink()
        return Path(out_der)


@dataclass
class Leaf:
    chain: Chain
    serial: int
    name: str

    @property
    def cert(self):
        return self.chain.leaf


class OcspResponder:
    """An OCSP responder on 127.0.0.1: each POST (or RFC 6960 GET) goes to `openssl ocsp -index
    INDEX -rsigner -rkey -CA -reqin -respout`; `requests` counts what arrived."""

    def __init__(self, directory, index, ca_cert, signer_cert, signer_key, port=None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.argv = ["openssl", "ocsp", "-index", str(index), "-CA", str(ca_cert), "-rsigner", str(signer_cert),
                     "-rkey", str(signer_key), "-ndays", "1"]
        self.requests = []
        self.errors = []
        responder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                responder._answer(self, body)

            def do_GET(self):
                encoded = urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
                try:
                    body = base64.b64decode(encoded)
                except ValueError:
                    body = b""
                responder._answer(self, body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, handler, body):
        self.requests.append((handler.command, handler.path, len(body)))
        with tempfile.TemporaryDirectory(dir=self.directory) as work:
            request, response = Path(work, "request.der"), Path(work, "response.der")
            request.write_bytes(body)
            result = subprocess.run(self.argv + ["-reqin", str(request), "-respout", str(response)],
                                    capture_output=True)
            if result.returncode != 0 or not response.exists():
                self.errors.append(result.stderr.decode(errors="replace"))
                handler.send_error(400)
                return
            answer = response.read_bytes()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/ocsp-response")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


NGINX_TYPES = "application/pkix-crl crl; application/ocsp-response der; text/html html;"
NGINX_SERVER = """\
    server {{
        listen 127.0.0.1:{port};
        root {www};
        # a POST to a static file (an OCSP request to a fixed response) is answered with the file
        location / {{ error_page 405 =200 $uri; }}
        # a CRL that moved (one redirect), and one that moved twice
        location = /moved.crl {{ return 302 http://127.0.0.1:{port}/intermediate.crl; }}
        location = /twice.crl {{ return 302 http://127.0.0.1:{port}/moved.crl; }}
        location = /ocsp-html {{
            default_type text/html;
            return 200 "<!DOCTYPE html><html><head><title>Welcome</title></head><body>It works!</body></html>\\n";
        }}
    }}
"""


class Lab:
    """root -> intermediate CA with `openssl ca`, leaves, CRLs, staples and the servers to ask."""

    def __init__(self, directory, processes, key_kind="ec"):
        self.dir = Path(directory)
        self.processes = processes
        self.key_kind = key_kind
        self.www = self.dir / "www"
        self.www.mkdir(parents=True)
        self.http_port = free_port()
        self.ocsp_port = free_port()          # the intermediate's responder (the leaves' AIA)
        self.root_ocsp_port = free_port()     # the root's responder (the intermediate's AIA)
        self.nginx = None
        self.responders = []
        self.root = Authority(self.dir / "root", "tls-checks revocation root", key_kind)
        run("openssl", "req", "-new", "-x509", "-config", self.root.config(), "-key", self.root.key,
            "-subj", f"/CN={self.root.name}", "-days", "3650", "-set_serial", "1", "-out", self.root.cert,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash")
        self.intermediate = Authority(self.dir / "intermediate", "tls-checks revocation intermediate", key_kind)
        csr = self._csr(self.intermediate.key, self.intermediate.name, self.intermediate.dir / "ca.csr")
        self.root.sign(csr, self.intermediate.cert, [
            "basicConstraints = critical, CA:TRUE",
            "keyUsage = critical, keyCertSign, cRLSign, digitalSignature",
            "subjectKeyIdentifier = hash",
            "authorityKeyIdentifier = keyid:always",
            f"authorityInfoAccess = OCSP;URI:http://127.0.0.1:{self.root_ocsp_port}/",
            f"crlDistributionPoints = URI:{self.http_url('root.crl')}",
        ], utc_now() - datetime.timedelta(days=30), utc_now() + datetime.timedelta(days=1825))
        (self.dir / "leaves").mkdir()
        self._responder_certs = {}

    # --- URLs ---------------------------------------------------------------------------------

    def http_url(self, name):
        return f"http://127.0.0.1:{self.http_port}/{name}"

    @property
    def ocsp_url(self):
        return f"http://127.0.0.1:{self.ocsp_port}/"

    # --- certificates -------------------------------------------------------------------------

    def _csr(self, key, common_name, out):
        run("openssl", "req", "-new", "-config", self.root.config(), "-key", key, "-subj", f"/CN={common_name}",
            "-out", out)
        return out

    @staticmethod
    def _next_serial(authority):
        return int((authority.dir / "serial").read_text().strip(), 16)

    def leaf(self, tag, ocsp=True, crl=True, must_staple=False, lifetime_days=365, serial=None,
             authority=None, extensions=(), common_name="localhost"):
        """A server certificate for localhost/127.0.0.1 issued by the intermediate. `ocsp`/`crl`:
        True for the lab's responder / intermediate.crl, a URL string, or None for no pointer."""
        authority = authority or self.intermediate
        base = self.dir / "leaves" / tag
        key = new_key(base.with_suffix(".key"), self.key_kind)
        csr = self._csr(key, common_name, base.with_suffix(".csr"))
        lines = ["basicConstraints = critical, CA:FALSE", "keyUsage = critical, digitalSignature, keyEncipherment",
                 "extendedKeyUsage = serverAuth", "subjectKeyIdentifier = hash",
                 "authorityKeyIdentifier = keyid:always", f"subjectAltName = DNS:{common_name}, IP:127.0.0.1"]
        ocsp_url = self.ocsp_url if ocsp is True else ocsp
        crl_url = self.http_url("intermediate.crl") if crl is True else crl
        if ocsp_url:
            lines.append(f"authorityInfoAccess = OCSP;URI:{ocsp_url}")
        if crl_url:
            lines.append(f"crlDistributionPoints = URI:{crl_url}")
        if must_staple:
            lines.append("tlsfeature = status_request")
        lines += list(extensions)
        start = utc_now() - datetime.timedelta(hours=1)
        serial = serial if serial is not None else self._next_serial(authority)
        cert = authority.sign(csr, base.with_suffix(".pem"), lines, start,
                              start + datetime.timedelta(days=lifetime_days), serial=serial)
        chain = base.with_name(tag + "-chain.pem")
        chain.write_bytes(self.intermediate.cert.read_bytes() if authority is self.intermediate else b"")
        return Leaf(Chain(cert, key, chain, self.root.cert), serial, tag)

    def responder_cert(self, kind="delegated"):
        """(cert, key) to sign OCSP responses with:
        delegated: issued by the intermediate, EKU OCSPSigning (RFC 6960 4.2.2.2);
        no-eku: issued by the intermediate without OCSPSigning;
        other-ca: OCSPSigning but issued by the root (not the leaves' issuer);
        imposter: self-signed, with the intermediate's own name and another key."""
        if kind == "issuer":
            return self.intermediate.cert, self.intermediate.key
        if kind in self._responder_certs:
            return self._responder_certs[kind]
        base = self.dir / f"responder-{kind}"
        key = new_key(base.with_suffix(".key"), self.key_kind)
        cert = base.with_suffix(".pem")
        if kind == "imposter":
            run("openssl", "req", "-new", "-x509", "-config", self.root.config(), "-key", key,
                "-subj", f"/CN={self.intermediate.name}", "-days", "30", "-out", cert,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        else:
            csr = self._csr(key, f"tls-checks OCSP responder ({kind})", base.with_suffix(".csr"))
            eku = "extendedKeyUsage = serverAuth" if kind == "no-eku" else "extendedKeyUsage = OCSPSigning"
            authority = self.root if kind == "other-ca" else self.intermediate
            authority.sign(csr, cert, ["basicConstraints = critical, CA:FALSE", "keyUsage = critical, digitalSignature",
                                       eku, "noCheck = ignored", "authorityKeyIdentifier = keyid:always"],
                           utc_now() - datetime.timedelta(hours=1), utc_now() + datetime.timedelta(days=30))
        self._responder_certs[kind] = (cert, key)
        return cert, key

    # --- revocation data ----------------------------------------------------------------------

    def revoke(self, leaf, reason="keyCompromise"):
        self.intermediate.revoke(leaf.cert, reason)

    def revoke_intermediate(self, reason="cACompromise"):
        self.root.revoke(self.intermediate.cert, reason)

    def index_without(self, leaf):
        return self.intermediate.index_without(leaf.serial, self.dir / f"index-without-{leaf.name}.txt")

    def crl(self, name="intermediate.crl", authority=None, **kwargs):
        """A DER CRL in www/ (served by nginx at http_url(name)); kwargs as Authority.gencrl."""
        authority = authority or self.intermediate
        return authority.gencrl(self.www / name, **kwargs)

    def crl_signed_by_another_key(self, name="intermediate.crl"):
        return self.crl(name, signer=self.responder_cert("imposter"))

    def huge_crl(self, name="intermediate.crl", minimum=10 * MIB + 64 * 1024):
        """A real, signed CRL larger than `minimum`: the intermediate's index plus enough revoked
        entries (random 159-bit serials with a reason, about 53 bytes each)."""
        index = self.dir / "huge-index.txt"
        revoked_at = openssl_time(utc_now() - datetime.timedelta(days=1))[2:]
        expires = openssl_time(utc_now() + datetime.timedelta(days=300))[2:]
        entries = minimum // 50 + 1000
        with open(index, "w") as out:
            out.write(self.intermediate.index.read_text())
            for _ in range(entries):
                serial = int.from_bytes(os.urandom(20), "big") >> 1 | 1 << 158
                out.write(f"R\t{expires}\t{revoked_at},keyCompromise\t{serial:040X}\tunknown\t/CN=revoked\n")
        Path(str(index) + ".attr").write_text("unique_subject = no\n")
        path = self.crl(name, index=index)
        assert path.stat().st_size > minimum, path.stat().st_size
        return path

    def staple(self, leaf, name, signer="issuer", index=None, about=None, ndays=1, badsig=False):
        """A DER OCSP response made by `openssl ocsp -index` for `about` (default: `leaf`), signed
        by responder_cert(signer); the status comes from `index` (default: the intermediate's).
        `about` may be a list: one SingleResponse each, in that order. `badsig`: openssl's -badsig,
        the last byte of the signature corrupted."""
        cert, key = self.responder_cert(signer)
        out = self.dir / name
        about = about or leaf
        certs = [argument for one in (about if isinstance(about, list) else [about]) for argument in ("-cert", one.cert)]
        run("openssl", "ocsp", "-index", index or self.intermediate.index, "-CA", self.intermediate.cert,
            "-rsigner", cert, "-rkey", key, "-issuer", self.intermediate.cert, *certs,
            "-no_nonce", "-ndays", ndays, "-respout", out, *(["-badsig"] if badsig else []))
        return out

    def unsuccessful_response(self, name, status="TRY_LATER"):
        """An OCSPResponse without a body: responseStatus tryLater (RFC 6960 4.2.1) or another."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.x509 import ocsp

        response = ocsp.OCSPResponseBuilder.build_unsuccessful(getattr(ocsp.OCSPResponseStatus, status))
        out = self.dir / name
        out.write_bytes(response.public_bytes(serialization.Encoding.DER))
        return out

    def stale_response(self, leaf, name, this_update_days=-3, next_update_days=-1):
        """A good OCSP response for `leaf` signed by the intermediate whose nextUpdate has passed:
        `openssl ocsp` dates every response now, so python3-cryptography makes this one."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509 import ocsp

        load = x509.load_pem_x509_certificate
        leaf_cert = load(leaf.cert.read_bytes())
        issuer = load(self.intermediate.cert.read_bytes())
        key = serialization.load_pem_private_key(self.intermediate.key.read_bytes(), None)
        now = utc_now()
        builder = (ocsp.OCSPResponseBuilder()
                   .add_response(cert=leaf_cert, issuer=issuer, algorithm=hashes.SHA1(),
                                 cert_status=ocsp.OCSPCertStatus.GOOD,
                                 this_update=now + datetime.timedelta(days=this_update_days),
                                 next_update=now + datetime.timedelta(days=next_update_days),
                                 revocation_time=None, revocation_reason=None)
                   .responder_id(ocsp.OCSPResponderEncoding.NAME, issuer))
        response = builder.sign(key, hashes.SHA256())
        out = self.dir / name
        out.write_bytes(response.public_bytes(serialization.Encoding.DER))
        return out

    def publish(self, path, name):
        """Puts `path` in www/ as `name`; returns its URL."""
        (self.www / name).write_bytes(Path(path).read_bytes())
        return self.http_url(name)

    # --- servers ------------------------------------------------------------------------------

    def tls_server(self, leaf, staple=None):
        """`openssl s_server` presenting leaf + intermediate, stapling `staple` when asked."""
        extra = ["-status_file", str(staple)] if staple else []
        return openssl_server(self.processes, leaf.chain, extra)

    def responder(self, authority=None, signer="issuer", index=None, port=None):
        """An OCSP responder for `authority` (default the intermediate, on ocsp_port; the root on
        root_ocsp_port)."""
        authority = authority or self.intermediate
        if authority is self.root:
            cert, key = self.root.cert, self.root.key
            port = port or self.root_ocsp_port
        else:
            cert, key = self.responder_cert(signer)
            port = port or self.ocsp_port
        # openssl ocsp puts the signer's certificate in the response (no -resp_no_certs)
        responder = OcspResponder(self.dir / f"responder-{port}", index or authority.index, authority.cert,
                                  cert, key, port=port)
        self.responders.append(responder)
        return responder

    def serve_http(self):
        """nginx on http_port serving www/ (started once; files may change while it runs)."""
        if self.nginx is not None:
            return self.http_port
        self.nginx = nginx(self.processes, self.dir / "nginx", NGINX_SERVER.format(port=self.http_port, www=self.www),
                           self.http_port, types=NGINX_TYPES)
        return self.http_port

    def stop_http(self):
        """Stops nginx (the test goes on without it): SIGQUIT, nginx's graceful stop."""
        process, self.nginx = self.nginx, None
        os.killpg(process.pid, signal.SIGQUIT)
        process.wait(timeout=10)
        self.processes.started.remove(process)
        process.stderr_log.close()
        assert process.returncode == 0, process.returncode

    def http_requests(self, name):
        """How many requests nginx logged for /name."""
        log = self.dir / "nginx" / "access.log"
        if not log.exists():
            return 0
        time.sleep(0.05)
        return sum(1 for line in log.read_text().splitlines() if f" /{name} HTTP/" in line)

    def close(self):
        for responder in self.responders:
            responder.close()

