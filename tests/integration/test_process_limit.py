"""A busy poller at its process limit: a thread that cannot start (EAGAIN) must end in one
well-formed status line, never an abort (exit 134) with no output. The plugins run as `nobody`
under RLIMIT_NPROC (root is exempt from it), from a copy readable by that user."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import PLUGIN_DIR, Run, ScriptedServer, assert_plugin_shape, openssl_server

LIMITS = [1, 2, 3, 4, 6]
PLUGINS = {"check_tls_cert": "TLS_CERT", "check_tls_version": "TLS_VERSION", "check_starttls": "STARTTLS"}


@pytest.fixture
def plugin_copy():
    # pytest's tmp_path is private to root; nobody needs a directory it can enter.
    directory = Path(tempfile.mkdtemp(prefix="plugins-", dir="/tmp"))
    for name in PLUGINS:
        shutil.copy2(PLUGIN_DIR / name, directory / name)
    for path in (directory, *directory.iterdir()):
        path.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


def smtp_without_starttls(connection):
    """An SMTP server that offers no STARTTLS: check_starttls's whole dialog, no TLS."""
    with connection:
        connection.sendall(b"220 mail.example.test ESMTP\r\n")
        reader = connection.makefile("rb")
        while line := reader.readline():
            if line.upper().startswith((b"EHLO", b"HELO")):
                connection.sendall(b"250-mail.example.test\r\n250 PIPELINING\r\n")
            elif line.upper().startswith(b"QUIT"):
                connection.sendall(b"221 bye\r\n")
                return
            else:
                connection.sendall(b"502 no\r\n")


def run_limited(plugin, limit, *args):
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "prlimit", f"--nproc={limit}:{limit}", str(plugin), *map(str, args)]
    # Under the ASan build, LeakSanitizer's exit-time check starts a tracer thread of its own, which
    # the same limit refuses (it then aborts): leak checking is for the other suites.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, env=env)
    return Run(result.returncode, result.stdout, result.stderr, 0.0)


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize("name", PLUGINS)
def test_plugins_at_the_process_limit_end_in_a_status_line_not_an_abort(processes, chain, plugin_copy, name, limit):
    if name == "check_starttls":
        port, extra = ScriptedServer(smtp_without_starttls).port, ["--starttls", "smtp"]
    else:
        port = openssl_server(processes, chain)
        extra = ["--ignore-trust"] if name == "check_tls_cert" else []
    # -H localhost resolves through the resolver thread; -I would skip it.
    run = run_limited(plugin_copy / name, limit, "-H", "localhost", "-p", port, "-t", "5", *extra)
    assert run.returncode in (0, 1, 2, 3), (run.returncode, run.stdout, run.stderr)
    assert_plugin_shape(run, PLUGINS[name])
    if run.returncode == 3:
        assert "thread" in run.first_line, run.stdout
