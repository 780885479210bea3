"""Real servers from Debian, configured in a temporary directory, on fresh loopback ports, started
and stopped by the tests themselves. Each function returns what the test needs (ports) and leaves
the process in `processes`, which stops it at teardown even when the test fails."""

import os
import pwd
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

from harness import free_port, wait_for_port


def _write(path, text, mode=0o644):
    path = Path(path)
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(mode)
    return path


def _owned_copy(source, destination, user, mode=0o600):
    """A copy of a key or certificate that a daemon running as `user` may read."""
    shutil.copyfile(source, destination)
    entry = pwd.getpwnam(user)
    os.chown(destination, entry.pw_uid, entry.pw_gid)
    os.chmod(destination, mode)
    return Path(destination)


def _open_tree(path):
    """Daemons that drop privileges must be able to walk to their files."""
    path = Path(path)
    for parent in [path, *path.parents]:
        if str(parent) in ("/", "/tmp"):
            break
        parent.chmod(parent.stat().st_mode | 0o755)


def postfix(processes, directory, chain, sasl_socket=None):
    """Postfix 3.7 with three smtpd services: smtp with STARTTLS, submission with STARTTLS and
    AUTH offered before it (through Dovecot SASL when `sasl_socket` is given), and an smtp
    service without STARTTLS. Returns {"smtp": port, "submission": port, "plain": port}."""
    directory = Path(directory)
    _open_tree(directory)
    ports = {"smtp": free_port(), "submission": free_port(), "plain": free_port()}
    queue = directory / "queue"
    data = directory / "data"
    queue.mkdir()
    data.mkdir()
    shutil.chown(data, "postfix")
    key = _owned_copy(chain.key, directory / "smtpd.key", "root")
    _write(directory / "main.cf", f"""
        compatibility_level = 3.6
        queue_directory = {queue}
        data_directory = {data}
        mail_owner = postfix
        setgid_group = postdrop
        myhostname = mx.example.test
        mydestination =
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        maillog_file = {directory}/maillog
        maillog_file_prefixes = {directory}
        smtpd_tls_cert_file = {chain.leaf}
        smtpd_tls_key_file = {key}
        smtpd_tls_CAfile = {chain.chain}
        smtpd_tls_security_level = may
        smtpd_tls_auth_only = no
        smtpd_relay_restrictions = permit_mynetworks, reject
        """)
    sasl = ""
    if sasl_socket:
        sasl = f"-o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path={sasl_socket}"
    master = Path("/etc/postfix/master.cf").read_text().splitlines()
    # Keep the internal services; replace the network listeners with ours.
    kept = [line for line in master if not line.startswith(("smtp      inet", "#", "submission", "smtps"))]
    kept += [
        f"127.0.0.1:{ports['smtp']} inet n - n - - smtpd",
        f"127.0.0.1:{ports['submission']} inet n - n - - smtpd {sasl}",
        f"127.0.0.1:{ports['plain']} inet n - n - - smtpd -o smtpd_tls_security_level=none",
        f"postlog unix-dgram n - n - 1 postlogd",
    ]
    (directory / "master.cf").write_text("\n".join(kept) + "\n")
    subprocess.run(["postfix", "-c", str(directory), "check"], check=False, capture_output=True)
    processes.start(["postfix", "-c", str(directory), "start-fg"], ports["smtp"],
                    env={**os.environ, "MAIL_CONFIG": str(directory)})
    for port in ports.values():
        wait_for_port(port)
    return ports


def dovecot(processes, directory, chain):
    """Dovecot 2.3 with IMAP, POP3, ManageSieve and LMTP on fresh ports, STARTTLS on all, a
    static password database, plaintext login disabled for IMAP (LOGINDISABLED) but allowed for
    POP3 (USER advertised), and a SASL socket Postfix can use. Returns the ports and the socket."""
    directory = Path(directory)
    _open_tree(directory)
    ports = {"imap": free_port(), "pop3": free_port(), "sieve": free_port(), "lmtp": free_port()}
    for sub in ("run", "state", "home"):
        (directory / sub).mkdir()
        (directory / sub).chmod(0o755)
    key = _owned_copy(chain.key, directory / "dovecot.key", "root")
    certificate = directory / "dovecot.pem"
    certificate.write_bytes(chain.leaf.read_bytes() + chain.chain.read_bytes())
    dovenull = pwd.getpwnam("dovenull")
    sasl_socket = directory / "run" / "auth-postfix"
    _write(directory / "dovecot.conf", f"""
        base_dir = {directory}/run
        state_dir = {directory}/state
        log_path = {directory}/dovecot.log
        protocols = imap pop3 sieve lmtp
        listen = 127.0.0.1
        ssl = yes
        ssl_cert = <{certificate}
        ssl_key = <{key}
        auth_mechanisms = plain login
        disable_plaintext_auth = yes
        protocol pop3 {{
          disable_plaintext_auth = no
        }}
        passdb {{
          driver = static
          args = password=not-a-real-secret
        }}
        userdb {{
          driver = static
          args = uid={dovenull.pw_uid} gid={dovenull.pw_gid} home={directory}/home/%u
        }}
        service imap-login {{
          inet_listener imap {{
            port = {ports['imap']}
          }}
          inet_listener imaps {{
            port = 0
          }}
        }}
        service pop3-login {{
          inet_listener pop3 {{
            port = {ports['pop3']}
          }}
          inet_listener pop3s {{
            port = 0
          }}
        }}
        service managesieve-login {{
          inet_listener sieve {{
            port = {ports['sieve']}
          }}
        }}
        service lmtp {{
          inet_listener lmtp {{
            address = 127.0.0.1
            port = {ports['lmtp']}
          }}
        }}
        service auth {{
          unix_listener {sasl_socket} {{
            mode = 0666
          }}
        }}
        protocol lmtp {{
          ssl = yes
        }}
        """)
    processes.start(["dovecot", "-F", "-c", str(directory / "dovecot.conf")], ports["imap"])
    for port in ports.values():
        wait_for_port(port)
    return ports, sasl_socket
