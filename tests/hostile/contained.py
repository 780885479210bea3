"""What every hostile case proves, in one place: the plugin ends within -t + 0.5 s, its exit code is
the state of a well-formed first line, stdout holds at most one '|' and less than 4 KiB, and
nothing goes to stderr (where an AddressSanitizer report would appear)."""

import re
import subprocess
import time
from dataclasses import dataclass

from harness import PLUGIN_DIR, Run

STATES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}

# Beyond -t: how long a plugin may still run before the test kills it and fails, so that a plugin
# that loops past its deadline fails its case instead of hanging the suite.
HARD_MARGIN = 5.0

# What sanitize_text must keep off stdout (common/README.md, "Sanitize server text"): C0 controls
# but the line feeds the plugin writes itself, DEL, C1 controls, and the characters that move or
# hide text (Trojan Source).
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f\x80-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\u2028\u2029\ufeff]")
STATUS_LINE = re.compile(r"^(?:\S+ )?(?:OK|WARNING|CRITICAL|UNKNOWN)\b.* - ")
# How a refused STARTTLS injection (CVE-2011-0411) is named: the text dialogs say "injection risk",
# the binary ones "server sent data after <its go-ahead>".
NAMES_THE_INJECTION = re.compile(r"injection|sent (data|\d+ bytes) after")
# How a close or reset by the server is named; which one a client sees, and where (connect, the
# dialog, OpenSSL's read), is a matter of timing.
CLOSED = re.compile(r"closed the connection|reset by peer")


@dataclass
class HostileRun(Run):
    raw_stdout: bytes = b""
    raw_stderr: bytes = b""
    killed: bool = False
    argv: tuple = ()


def run_check(plugin, *args, timeout=2, timeout_state=None):
    """Runs `plugin -t timeout[:timeout_state] args...` with stdout and stderr as bytes (text mode
    would translate a raw CR and choke on invalid UTF-8, both things these tests look for). A plugin
    still running at timeout + HARD_MARGIN is killed; the run then says so and assert_contained
    fails it."""
    limit = str(timeout) if timeout_state is None else f"{timeout}:{timeout_state}"
    argv = [str(PLUGIN_DIR / plugin), "-t", limit, *map(str, args)]
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = False
    try:
        out, err = process.communicate(timeout=timeout + HARD_MARGIN)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        killed = True
    elapsed = time.monotonic() - started
    return HostileRun(process.returncode, out.decode("utf-8", "surrogateescape"),
                      err.decode("utf-8", "surrogateescape"), elapsed, out, err, killed, tuple(argv))


def _show(run):
    return (f"\n  argv: {' '.join(run.argv)}\n  exit {run.returncode} after {run.elapsed:.2f} s"
            f"\n  --- stdout ({len(run.raw_stdout)} bytes)\n{run.raw_stdout[:4500]!r}"
            f"\n  --- stderr ({len(run.raw_stderr)} bytes)\n{run.raw_stderr[:3000].decode('utf-8', 'replace')}")


def assert_contained(run, prefix, timeout):
    """The five properties of every hostile case; returns the state of the first line."""
    __tracebackhide__ = True
    limit = timeout + 0.5
    assert not run.killed, (f"still running {timeout + HARD_MARGIN:.0f} s after start (limit {limit} s): "
                            f"killed{_show(run)}")
    assert run.elapsed <= limit, f"took {run.elapsed:.2f} s, limit -t + 0.5 = {limit} s{_show(run)}"
    match = re.match(rf"{re.escape(prefix)} (OK|WARNING|CRITICAL|UNKNOWN) - ", run.first_line)
    assert match, f"first line is not '{prefix} STATE - ...'{_show(run)}"
    state = match.group(1)
    assert STATES[state] == run.returncode, f"exit code {run.returncode} but the first line says {state}{_show(run)}"
    assert run.stdout.count("|") <= 1, f"{run.stdout.count('|')} '|' in stdout{_show(run)}"
    assert len(run.raw_stdout) < 4096, f"stdout is {len(run.raw_stdout)} bytes, not under 4 KiB{_show(run)}"
    assert run.raw_stderr == b"", f"stderr is not empty{_show(run)}"
    return state


def assert_state(run, prefix, timeout, expected, *reasons):
    """assert_contained, then the expected state and, in the first line, every one of `reasons`
    (strings, or compiled patterns to search for)."""
    __tracebackhide__ = True
    state = assert_contained(run, prefix, timeout)
    assert state == expected, f"state {state}, expected {expected}{_show(run)}"
    for reason in reasons:
        if isinstance(reason, re.Pattern):
            assert reason.search(run.first_line), f"first line does not match {reason.pattern!r}{_show(run)}"
        else:
            assert reason in run.first_line, f"first line does not say {reason!r}{_show(run)}"
    return run


def assert_no_server_text_escapes(run, prefix):
    """For servers that put controls, bidi and zero-width characters, '|' and fake status lines in
    what the plugin prints: none of them reaches stdout, stdout is valid UTF-8, the first line is
    the plugin's own and no later line poses as a status line or carries perfdata."""
    __tracebackhide__ = True
    try:
        text = run.raw_stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AssertionError(f"stdout is not valid UTF-8: {error}{_show(run)}") from None
    found = FORBIDDEN.search(text)
    assert not found, f"U+{ord(found.group(0)):04X} reached stdout at {found.start()}{_show(run)}"
    assert text.startswith(prefix + " "), f"first line is not the plugin's{_show(run)}"
    for line in text.split("\n")[1:]:
        assert not STATUS_LINE.match(line), f"a later line poses as a status line: {line!r}{_show(run)}"
        assert "|" not in line, f"a later line carries '|': {line!r}{_show(run)}"
    assert "a" not in run.perfdata, f"the server's fake perfdata reached the perfdata{_show(run)}"
