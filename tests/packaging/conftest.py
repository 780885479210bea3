"""What the packaging suites share: the .deb, built once per session and installed."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))


@pytest.fixture(scope="session")
def deb():
    """Builds the .deb (the script fails on any lintian error or warning) and installs it."""
    out = Path(tempfile.mkdtemp(prefix="deb-"))
    result = subprocess.run([str(ROOT / "packaging" / "build-deb.sh"), str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    package = Path(result.stdout.strip().splitlines()[-1])
    install = subprocess.run(["dpkg", "-i", str(package)], capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    yield package
    shutil.rmtree(out)
