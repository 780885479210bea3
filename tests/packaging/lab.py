"""Helpers of the packaging suites (the fixtures are in conftest.py)."""

import os
import shutil
import tempfile
from pathlib import Path


def readable_dir(prefix):
    """A directory the nagios user (Icinga 2 and Nagios drop to it) can read and write."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    shutil.chown(directory, "nagios", "nagios")
    directory.chmod(0o755)
    return directory


def own_tree(path, user="nagios", group="nagios"):
    """Gives `path` and everything below it to `user`: a daemon that drops to it writes there."""
    path = Path(path)
    shutil.chown(path, user, group)
    for parent, directories, files in os.walk(path):
        for name in directories + files:
            shutil.chown(os.path.join(parent, name), user, group)
