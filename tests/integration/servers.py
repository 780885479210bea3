"""Real servers from Debian, configured in a temporary directory, on fresh loopback ports, started
and stopped by the tests themselves. Each function returns what the test needs (ports) and leaves
the process in `processes`, which stops it at teardown even when the test fails."""

import os
import pwd
import shutil
import socket
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


def _key_and_full_chain(directory, chain, name):
    """The key (root-only) and the leaf followed by its intermediates, as most daemons want them."""
    key = _owned_copy(chain.key, Path(directory) / f"{name}.key", "root")
    certificate = Path(directory) / f"{name}.pem"
    certificate.write_bytes(chain.leaf.read_bytes() + chain.chain.read_bytes())
    return key, certificate


def _open_tree(path):
    """Daemons that drop privileges must be able to walk to their files."""
    path = Path(path)
    for parent in [path, *path.parents]:
        if str(parent) in ("/", "/tmp"):
            break
        parent.chmod(parent.stat().st_mode | 0o755)


def postfix(processes, directory, chain, sasl_socket=None, address="127.0.0.1", ports=None):
    """Postfix 3.7 with three smtpd services: smtp with STARTTLS, submission with STARTTLS and
    AUTH offered before it (through Dovecot SASL when `sasl_socket` is given), and an smtp
    service without STARTTLS, all on `address`, on fresh ports or those `ports` gives (by the
    same keys). Returns {"smtp": port, "submission": port, "plain": port}."""
    directory = Path(directory)
    _open_tree(directory)
    ports = {key: (ports or {}).get(key) or free_port(address) for key in ("smtp", "submission", "plain")}
    # inet_interfaces must name an interface's own address (127.0.0.2 is on lo only as part of
    # 127.0.0.0/8); a service's host:port in master.cf binds that address whatever it says.
    host = f"[{address}]" if ":" in address else address
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
        inet_interfaces = {"[::1]" if ":" in address else "127.0.0.1"}
        inet_protocols = {"ipv6" if ":" in address else "ipv4"}
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
        f"{host}:{ports['smtp']} inet n - n - - smtpd",
        f"{host}:{ports['submission']} inet n - n - - smtpd {sasl}",
        f"{host}:{ports['plain']} inet n - n - - smtpd -o smtpd_tls_security_level=none",
        f"postlog unix-dgram n - n - 1 postlogd",
    ]
    (directory / "master.cf").write_text("\n".join(kept) + "\n")
    subprocess.run(["postfix", "-c", str(directory), "check"], check=False, capture_output=True)
    # start-fg runs master as a child of a shell, and master makes a session of its own: the
    # signal to the shell's group at teardown would leave it running. "postfix stop" ends it.
    processes.stoppers.append(lambda: subprocess.run(["postfix", "-c", str(directory), "stop"], capture_output=True,
                                                     timeout=30, check=False))
    processes.start(["postfix", "-c", str(directory), "start-fg"], ports["smtp"], address=address,
                    env={**os.environ, "MAIL_CONFIG": str(directory)})
    for port in ports.values():
        wait_for_port(port, address=address)
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
    key, certificate = _key_and_full_chain(directory, chain, "dovecot")
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


def slapd(processes, directory, chain, tls=True):
    """OpenLDAP slapd 2.5 with one mdb database; StartTLS works when `tls`, and is answered
    with an error when the server has no certificate. Returns the port."""
    directory = Path(directory)
    _open_tree(directory)
    port = free_port()
    database = directory / "db"
    database.mkdir()
    key, certificate = _key_and_full_chain(directory, chain, "slapd")
    lines = [
        "include /etc/ldap/schema/core.schema",
        f"pidfile {directory}/slapd.pid",
        f"argsfile {directory}/slapd.args",
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
    ]
    if tls:
        lines += [f"TLSCertificateFile {certificate}", f"TLSCertificateKeyFile {key}"]
    # slapd.conf continues a directive on lines that start with white space: none here.
    lines += ["database mdb", 'suffix "dc=example,dc=test"', 'rootdn "cn=admin,dc=example,dc=test"',
              f"directory {database}", "maxsize 10485760"]
    (directory / "slapd.conf").write_text("\n".join(lines) + "\n")
    processes.start(["slapd", "-d", "0", "-f", str(directory / "slapd.conf"), "-h", f"ldap://127.0.0.1:{port}/"], port)
    return port


def vsftpd(processes, directory, chain, tls=True):
    """vsftpd 3.0 in the foreground with AUTH TLS (or without TLS at all). Returns the port."""
    directory = Path(directory)
    _open_tree(directory)
    port = free_port()
    empty = directory / "empty"
    empty.mkdir()
    key, certificate = _key_and_full_chain(directory, chain, "vsftpd")
    tls_lines = f"""
        ssl_enable=YES
        rsa_cert_file={certificate}
        rsa_private_key_file={key}
        force_local_logins_ssl=YES
        force_local_data_ssl=YES
        ssl_tlsv1=YES
        """ if tls else "ssl_enable=NO\n"
    _write(directory / "vsftpd.conf", f"""
        listen=YES
        listen_ipv6=NO
        listen_address=127.0.0.1
        listen_port={port}
        background=NO
        anonymous_enable=NO
        local_enable=YES
        secure_chroot_dir={empty}
        pasv_enable=NO
        seccomp_sandbox=NO
        vsftpd_log_file={directory}/vsftpd.log
        """ + textwrap.dedent(tls_lines))
    processes.start(["vsftpd", str(directory / "vsftpd.conf")], port)
    return port


def _as_user(user):
    entry = pwd.getpwnam(user)

    def demote():
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    return demote


def postgresql(processes, directory, chain, ssl=True):
    """PostgreSQL 15 from its own initdb, as the postgres user, SSL on or off. Returns the port."""
    directory = Path(directory)
    _open_tree(directory)
    shutil.chown(directory, "postgres")
    port = free_port()
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data = directory / "data"
    subprocess.run([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
                   check=True, capture_output=True, preexec_fn=_as_user("postgres"), cwd=directory)
    key = _owned_copy(chain.key, directory / "server.key", "postgres")
    certificate = _owned_copy(chain.leaf, directory / "server.pem", "postgres", 0o644)
    options = ["-c", f"port={port}", "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={directory}",
               "-c", f"ssl={'on' if ssl else 'off'}", "-c", f"ssl_cert_file={certificate}", "-c", f"ssl_key_file={key}",
               "-c", "fsync=off", "-c", "logging_collector=off"]
    processes.start([str(binaries / "postgres"), "-D", str(data), *options], port, preexec_fn=_as_user("postgres"),
                    cwd=directory)
    return port


def mariadb(processes, directory, chain, ssl=True):
    """MariaDB 10.11 from its own mariadb-install-db, TLS on or off. Returns the port."""
    directory = Path(directory)
    _open_tree(directory)
    port = free_port()
    data = directory / "data"
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True, cwd=directory)
    argv = ["mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={directory}/mysqld.sock",
            f"--port={port}", "--bind-address=127.0.0.1", "--user=root", f"--pid-file={directory}/mysqld.pid",
            "--skip-name-resolve", "--innodb-buffer-pool-size=16M", f"--log-error={directory}/error.log"]
    if ssl:
        argv += [f"--ssl-cert={chain.leaf}", f"--ssl-key={chain.key}"]
    else:
        argv += ["--skip-ssl"]
    processes.start(argv, port)
    return port


def prosody(processes, directory, chain, domain="example.test"):
    """Prosody 0.12 serving `domain`: c2s with STARTTLS required, s2s with STARTTLS offered.
    Returns {"xmpp": port, "xmpp-server": port}."""
    directory = Path(directory)
    _open_tree(directory)
    ports = {"xmpp": free_port(), "xmpp-server": free_port()}
    data = directory / "data"
    data.mkdir()
    key, certificate = _key_and_full_chain(directory, chain, "prosody")
    _write(directory / "prosody.cfg.lua", f"""
        run_as_root = true
        daemonize = false
        pidfile = "{directory}/prosody.pid"
        data_path = "{data}"
        interfaces = {{ "127.0.0.1" }}
        c2s_ports = {{ {ports['xmpp']} }}
        s2s_ports = {{ {ports['xmpp-server']} }}
        c2s_direct_tls_ports = {{ }}
        s2s_direct_tls_ports = {{ }}
        http_ports = {{ }}
        https_ports = {{ }}
        log = {{ {{ levels = {{ min = "warn" }}, to = "file", filename = "{directory}/prosody.log" }} }}
        modules_enabled = {{ "tls"; "saslauth"; "dialback"; "disco"; "ping" }}
        modules_disabled = {{ "s2s_bidi"; "posix" }}
        c2s_require_encryption = true
        s2s_require_encryption = false
        s2s_secure_auth = false
        authentication = "internal_hashed"
        ssl = {{ certificate = "{certificate}"; key = "{key}" }}
        VirtualHost "{domain}"
          ssl = {{ certificate = "{certificate}"; key = "{key}" }}
        """)
    processes.start(["prosody", "--config", str(directory / "prosody.cfg.lua"), "-F"], ports["xmpp"])
    wait_for_port(ports["xmpp-server"])
    return ports


# InspIRCd's exit status after SIGTERM (EXIT_STATUS_SIGTERM, "Received SIGTERM"): a clean stop.
INSPIRCD_EXIT_SIGTERM = 10


def inspircd(processes, directory, chain, per_address=None):
    """InspIRCd 3 with the GnuTLS module and m_starttls (IRCv3 STARTTLS, "tls" capability).
    With `per_address`, it serves at most that many connections from one client address (its
    connect class's localmax), checked as each connection arrives (clonesonconnect): the surplus
    gets "ERROR :Closing link: ... No more connections allowed from your host" before any dialog.
    Returns the port."""
    directory = Path(directory)
    _open_tree(directory)
    port = free_port()
    key, certificate = _key_and_full_chain(directory, chain, "irc")
    limit = per_address or 100
    clones_on_connect = "yes" if per_address else "no"
    _write(directory / "inspircd.conf", f"""
        <server name="irc.example.test" description="tls-checks test" network="Test">
        <admin name="Test" nick="test" email="test@example.test">
        <bind address="127.0.0.1" port="{port}" type="clients">
        <connect allow="*" timeout="60" localmax="{limit}" globalmax="{limit}" maxconnwarn="off" useident="no" resolvehostnames="no">
        <module name="cap">
        <module name="ssl_gnutls">
        <sslprofile name="main" provider="gnutls" certfile="{certificate}" keyfile="{key}" dhfile="" requestclientcert="no">
        <module name="starttls">
        <starttls provider="main">
        <pid file="{directory}/inspircd.pid">
        <log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{directory}/inspircd.log">
        <options allowcoreunload="no">
        <performance clonesonconnect="{clones_on_connect}">
        <dns timeout="1">
        """)
    # InspIRCd 3.15 (Debian 12) segfaults after every orderly exit (SIGTERM, /DIE) once ssl_gnutls
    # was loaded: the module's init() and destructor assign InspIRCd::GenRandom, a
    # std::function<void(char*, size_t)>, whose manager is then code inside m_ssl_gnutls.so; the
    # shutdown unloads (dlclose) the module, and ~InspIRCd destroys GenRandom by calling that manager
    # in unmapped memory (InspIRCd::Exit -> ~InspIRCd -> SIGSEGV). A preloaded object is never
    # unmapped: the module loaded from <module name="ssl_gnutls"> is this same copy, the shutdown
    # runs to its end, and InspIRCd exits with its status for SIGTERM.
    module = Path("/usr/lib/inspircd/modules/m_ssl_gnutls.so")
    preload = " ".join(filter(None, [os.environ.get("LD_PRELOAD"), str(module)]))
    processes.start(["inspircd", "--nofork", "--runasroot", "--config", str(directory / "inspircd.conf")], port,
                    env={**os.environ, "LD_PRELOAD": preload},
                    accept_returncodes={INSPIRCD_EXIT_SIGTERM})
    return port


def inn_nnrpd(processes, directory, chain):
    """INN 2.7's nnrpd as a standalone reader daemon (-D), STARTTLS from tlscertfile/tlskeyfile
    in its own inn.conf, everyone allowed to read. Returns the port."""
    directory = Path(directory)
    _open_tree(directory)
    port = free_port()
    etc, run, log, db, spool, tmp, overview = (directory / name for name in
                                              ("etc", "run", "log", "db", "spool", "tmp", "overview"))
    for sub in (etc, run, log, db, spool, tmp, overview):
        sub.mkdir()
        shutil.chown(sub, "news", "news")
    for name in ("active", "active.times", "newsgroups"):
        if (Path("/var/lib/news") / name).exists():
            _owned_copy(Path("/var/lib/news") / name, db / name, "news", 0o644)
    key = _owned_copy(chain.key, etc / "news.key", "news")
    certificate = _owned_copy(chain.leaf, etc / "news.pem", "news", 0o644)
    chain_file = _owned_copy(chain.chain, etc / "chain.pem", "news", 0o644)
    settings = Path("/etc/news/inn.conf").read_text().splitlines()
    overrides = {"pathetc": str(etc), "pathrun": str(run), "pathlog": str(log), "pathdb": str(db),
                 "pathspool": str(spool), "pathtmp": str(tmp), "pathoverview": str(overview),
                 "ovmethod": "tradindexed", "domain": "example.test",
                 "tlscertfile": str(certificate), "tlskeyfile": str(key), "tlscafile": str(chain_file)}
    kept = [line for line in settings if line.split(":", 1)[0].strip() not in overrides]
    kept += [f"{name}: {value}" for name, value in overrides.items()]
    (etc / "inn.conf").write_text("\n".join(kept) + "\n")
    _write(etc / "readers.conf", """
        auth "everyone" {
            hosts: "*"
            default: "<guest>"
        }
        access "read" {
            users: "<guest>"
            newsgroups: "*"
            access: "R"
        }
        """)
    for name in ("newsfeeds", "incoming.conf", "storage.conf", "expire.ctl", "inn-secrets.conf"):
        source = Path("/etc/news") / name
        if source.exists():
            shutil.copyfile(source, etc / name)
    env = {**os.environ, "INNCONF": str(etc / "inn.conf")}
    (etc / "inn.conf").chmod(0o644)
    # nnrpd opens the overview index even for CAPABILITIES; makehistory -O creates it.
    subprocess.run(["/usr/lib/news/bin/makehistory", "-O", "-x", "-F"], env=env, capture_output=True,
                   preexec_fn=_as_user("news"), cwd=directory)
    processes.start(["/usr/lib/news/bin/nnrpd", "-D", "-f", "-b", "127.0.0.1", "-p", str(port)], port, env=env)
    return port


def xinetd_limited(processes, directory, target_port, per_source):
    """A real xinetd forwarding a fresh loopback port to `target_port` (its `redirect`), serving at
    most `per_source` connections at once from one client address: a surplus connection is
    accepted and closed at once, before a byte is forwarded, as Courier's MAXPERIP and ngIRCd's
    MaxConnectionsIP do. Returns the port."""
    directory = Path(directory)
    port = free_port()
    # cps: xinetd's default (50 connections a second, then 10 s off) would stop a test that runs
    # the check ten times in a row; the limit under test is per_source only.
    _write(directory / "xinetd.conf", f"""
        defaults
        {{
            per_source = {per_source}
            cps = 10000 1
            instances = UNLIMITED
        }}
        service tls-checks-limited
        {{
            type = UNLISTED
            socket_type = stream
            protocol = tcp
            wait = no
            user = {pwd.getpwuid(os.geteuid()).pw_name}
            bind = 127.0.0.1
            port = {port}
            redirect = 127.0.0.1 {target_port}
            log_type = FILE {directory}/xinetd.log
            log_on_failure = HOST
        }}
        """)
    processes.start(["xinetd", "-dontfork", "-f", str(directory / "xinetd.conf"), "-pidfile",
                     str(directory / "xinetd.pid")], port)
    return port


def ngircd(processes, directory, chain, max_per_address=5):
    """ngIRCd 26 (GnuTLS) with implicit TLS on a fresh loopback port, at most `max_per_address`
    connections from one client address (MaxConnectionsIP; its default is 5). GnuTLS answers a
    TLS_FALLBACK_SCSV hello with close_notify rather than inappropriate_fallback. Returns the port."""
    directory = Path(directory)
    _open_tree(directory)
    port = free_port()
    key, certificate = _key_and_full_chain(directory, chain, "ngircd")
    _write(directory / "ngircd.conf", f"""
        [Global]
            Name = irc.example.test
            Ports =
            Listen = 127.0.0.1
        [Limits]
            MaxConnectionsIP = {max_per_address}
        [Options]
            PAM = no
            Ident = no
            DNS = no
        [SSL]
            CertFile = {certificate}
            KeyFile = {key}
            Ports = {port}
        """)
    processes.start(["ngircd", "--nodaemon", "--config", str(directory / "ngircd.conf")], port)
    return port


_NGINX_FRAME = """\
user root;
worker_processes 1;
pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/temp/body;
    proxy_temp_path {dir}/temp/proxy;
    fastcgi_temp_path {dir}/temp/fastcgi;
    uwsgi_temp_path {dir}/temp/uwsgi;
    scgi_temp_path {dir}/temp/scgi;
    types {{ {types} }}
    default_type application/octet-stream;
{server}}}
"""


def nginx(processes, directory, server, port, types="", address=None, family=socket.AF_INET):
    """A real nginx in the foreground, everything it writes below `directory`, running the
    `server { ... }` block given (the CRL server of the revocation tests, the MTA-STS policy host
    of the mail tests); waits until it listens on `port` (of `address`)."""
    base = Path(directory)
    (base / "temp").mkdir(parents=True, exist_ok=True)
    config = base / "nginx.conf"
    config.write_text(_NGINX_FRAME.format(dir=base, types=types, server=server))
    return processes.start(["nginx", "-c", str(config), "-p", str(base), "-e", str(base / "error.log"),
                            "-g", "daemon off;"], port, address=address, family=family)
