"""Private Icinga 2 instances for the live tests: each one on 127.0.0.1 with its own config, data,
log, cache, spool and run directories (constant overrides on the command line, never /etc/icinga2
or /var/lib/icinga2), certificates from `icinga2 pki`, and a client for its REST API built on the
standard library only."""

import base64
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from lab import own_tree

ICINGA2 = "/usr/sbin/icinga2"

# Icinga 2.13 reads these "-D" constants before it loads any configuration. ZonesDir does not
# follow ConfigDir (it stays /etc/icinga2/zones.d), so it is set too; PidPath, StatePath,
# ModAttrPath, ObjectsPath and VarsPath follow InitRunDir, DataDir and CacheDir by themselves.
DIRECTORY_CONSTANTS = {
    "ConfigDir": "etc",
    "ZonesDir": "etc/zones.d",
    "DataDir": "lib",
    "LogDir": "log",
    "CacheDir": "cache",
    "SpoolDir": "spool",
    "InitRunDir": "run",
}


class Node:
    """One icinga2 daemon: `name` is its NodeName, endpoint name and certificate CN."""

    def __init__(self, root, name, zone, api_port):
        self.root = Path(root) / name
        self.name = name
        self.zone = zone
        self.api_port = api_port
        self.process = None
        for sub in DIRECTORY_CONSTANTS.values():
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.data / "certs").mkdir()

    @property
    def etc(self):
        return self.root / "etc"

    @property
    def data(self):
        return self.root / "lib"

    @property
    def log(self):
        return self.root / "log" / "icinga2.log"

    @property
    def ca_certificate(self):
        return self.data / "certs" / "ca.crt"

    def defines(self):
        values = {key: str(self.root / sub) for key, sub in DIRECTORY_CONSTANTS.items()}
        values.update(RunAsUser="nagios", RunAsGroup="nagios")
        return [f"-D{key}={value}" for key, value in values.items()]

    def argv(self, *extra):
        return [ICINGA2, "daemon", "-c", str(self.etc / "icinga2.conf"), *self.defines(), *extra]

    def write(self, relative, text):
        path = self.etc / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def write_main_config(self, zones, accept_config=False, accept_commands=False, extra=""):
        """icinga2.conf as a package's default one reads it: the ITL, the plugin definitions
        (include <plugins-contrib> picks up the package's tls-checks.conf), the API, the checker,
        a main log at notice level (the plugins' command lines), then conf.d."""
        self.write("icinga2.conf", f"""
const NodeName = "{self.name}"
const ZoneName = "{self.zone}"
const PluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = "/usr/lib/nagios/plugins"
const TicketSalt = ""

include <itl>
include <plugins>
include <plugins-contrib>

object FileLogger "main-log" {{
  severity = "notice"
  path = LogDir + "/icinga2.log"
}}

object CheckerComponent "checker" {{ }}

object ApiListener "api" {{
  bind_host = "127.0.0.1"
  bind_port = "{self.api_port}"
  accept_config = {str(accept_config).lower()}
  accept_commands = {str(accept_commands).lower()}
}}

{zones}
{extra}
include_recursive "conf.d"
""")
        (self.etc / "conf.d").mkdir(exist_ok=True)

    def validate(self):
        """`icinga2 daemon -C` on this node's configuration: (returncode, output)."""
        own_tree(self.root)
        result = subprocess.run(self.argv("-C"), capture_output=True, text=True, cwd=self.root, timeout=120)
        return result.returncode, result.stdout + result.stderr

    def start(self, processes, timeout=60.0):
        """Starts the daemon (in the foreground, its own session) and waits for its ApiListener.
        The Popen object joins `processes`, which stops and judges it at teardown."""
        from harness import wait_for_port

        own_tree(self.root)
        log = tempfile.TemporaryFile(prefix="tls-checks-icinga2-stderr-")
        self.process = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                        cwd=self.root, start_new_session=True)
        self.process.stderr_log = log
        processes.started.append(self.process)
        wait_for_port(self.api_port, self.process, timeout=timeout)
        return self.process

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def make_ca(node):
    """`icinga2 pki new-ca` in `node`'s DataDir (its ca/ directory, as on a real master). The
    pki commands drop to nagios too, and write a crash report to LogDir when they fail: they get
    the node's directories like the daemon."""
    own_tree(node.root)
    run([ICINGA2, "pki", "new-ca", *node.defines()])


def issue_certificate(ca_node, node):
    """A key, a CSR and a certificate signed by `ca_node`'s CA for `node`, where its ApiListener
    looks for them (DataDir/certs/<NodeName>.{key,crt} and ca.crt)."""
    certs = node.data / "certs"
    key, csr, crt = certs / f"{node.name}.key", certs / f"{node.name}.csr", certs / f"{node.name}.crt"
    own_tree(node.root)
    run([ICINGA2, "pki", "new-cert", "--cn", node.name, "--key", str(key), "--csr", str(csr), *node.defines()])
    run([ICINGA2, "pki", "sign-csr", "--csr", str(csr), "--cert", str(crt), *ca_node.defines()])
    shutil.copyfile(ca_node.data / "ca" / "ca.crt", node.ca_certificate)


def run(argv):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(argv)}: {result.stdout}{result.stderr}"
    return result


class Api:
    """The REST API of one node, as the ApiUser `user`. TLS: the chain is verified against the
    lab CA; the host name is not checked (the certificate names the node, the URL has 127.0.0.1)."""

    def __init__(self, node, user, password):
        self.base = f"https://127.0.0.1:{node.api_port}"
        self.context = ssl.create_default_context(cafile=str(node.ca_certificate))
        self.context.check_hostname = False
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.headers = {"Accept": "application/json", "Authorization": f"Basic {token}"}

    def request(self, method, path, body=None, get_override=False, timeout=30):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if get_override:
            headers["X-HTTP-Method-Override"] = "GET"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            raise AssertionError(f"{method} {path} {body!r}: HTTP {error.code}: {text}") from None

    def ready(self):
        """True once the API answers as this user (the listener accepts before it serves)."""
        try:
            return bool(self.request("GET", "/v1/status/IcingaApplication", timeout=5)["results"])
        except (OSError, AssertionError, ValueError):
            return False

    def objects(self, kind, attrs, filter=None, filter_vars=None):
        """{name: attrs} of the objects of `kind` ("services", "hosts", "endpoints")."""
        body = {"attrs": attrs}
        if filter:
            body["filter"] = filter
            if filter_vars:
                body["filter_vars"] = filter_vars
        results = self.request("POST", f"/v1/objects/{kind}", body, get_override=True)["results"]
        return {result["name"]: result["attrs"] for result in results}

    def reschedule(self, names, force=True):
        """/v1/actions/reschedule-check for the services host!service in `names`, now."""
        body = {"type": "Service", "filter": "service.__name in names", "filter_vars": {"names": list(names)},
                "force": force}
        results = self.request("POST", "/v1/actions/reschedule-check", body)["results"]
        assert sorted(r["code"] for r in results) == [200] * len(names), results
        return results

    def process_check_result(self, name, exit_status, output, performance_data):
        body = {"type": "Service", "filter": "service.__name == name", "filter_vars": {"name": name},
                "exit_status": exit_status, "plugin_output": output, "performance_data": performance_data}
        results = self.request("POST", "/v1/actions/process-check-result", body)["results"]
        assert [r["code"] for r in results] == [200], results
        return results


def wait_until(condition, timeout, what, interval=0.5):
    """Polls `condition()` until it returns something true, and returns that; after `timeout` s
    fails with `what()` (called then, so it shows the last state seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not after {timeout} s: {what()}")
        time.sleep(interval)


class LineSink:
    """A TCP listener on 127.0.0.1 that keeps every line it receives: a Graphite carbon for
    Icinga's GraphiteWriter, whose PerfdataValue::Parse is what turns plugin perfdata into
    metrics (and logs 'Ignoring invalid perfdata' when it cannot)."""

    def __init__(self):
        from harness import ScriptedServer

        self.lines = []
        self.connections = 0
        self._lock = threading.Lock()
        self.server = ScriptedServer(self._collect)
        self.port = self.server.port

    def _collect(self, connection):
        with self._lock:
            self.connections += 1
        buffer = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                return
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            with self._lock:
                self.lines.extend(line.decode(errors="replace") for line in complete)

    def snapshot(self):
        with self._lock:
            return list(self.lines)

    def close(self):
        self.server.close()


def command_groups(command, flags):
    """The argument vector after the program, as a sorted list of groups: ("-p", "443") for an
    option with its value, ("-v",) for a flag in `flags`. Icinga orders arguments by their `order`
    and key; the groups compare what is passed, whatever the order."""
    groups = []
    rest = list(command[1:])
    while rest:
        head = rest.pop(0)
        if head in flags or not rest:
            groups.append((head,))
        else:
            groups.append((head, rest.pop(0)))
    return sorted(groups)


def perfdata_labels(performance_data):
    """["days_left", ...] from Icinga's ["days_left=41.7;30:;14:", ...]."""
    return [item.partition("=")[0] for item in performance_data]


def processes_named(name):
    """Command lines of the running processes whose program is `name` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0] and os.path.basename(argv[0].decode(errors="replace")) == name:
            found.append(f"{entry.name}: " + " ".join(a.decode(errors="replace") for a in argv if a))
    return found
