"""The whole path to operators: the Debian package (lintian-clean), installed on this machine,
its definitions validated by the real Icinga 2 and Nagios 4, a real Nagios 4 scheduling three of
the plugins against local servers and reporting their state, output and perfdata in its status data;
and the RPM built with rpmbuild. Slow (two package builds): run by .ci/test after the suites."""

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lab import readable_dir

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from harness import Processes, free_port, wait_for_port  # noqa: E402
from pki import Spec, standard_chain  # noqa: E402
import servers  # noqa: E402

PLUGIN_DIR = Path("/usr/lib/nagios/plugins")
PLUGINS = ["check_tls_cert", "check_tls_version", "check_starttls", "check_mail_tls"]


def test_deb_is_lintian_clean_and_installs_plugins_man_pages_and_definitions(deb):
    lintian = subprocess.run(["lintian", "--fail-on", "error,warning", str(deb)], capture_output=True, text=True)
    assert lintian.returncode == 0, lintian.stdout
    assert not re.search(r"^[EW]: ", lintian.stdout, re.MULTILINE), lintian.stdout
    files = subprocess.run(["dpkg", "-L", "monitoring-plugins-tls-checks"], capture_output=True, text=True).stdout
    for plugin in PLUGINS:
        assert f"/usr/lib/nagios/plugins/{plugin}\n" in files
        assert f"/usr/share/man/man1/{plugin}.1.gz\n" in files
    assert "/etc/nagios-plugins/config/tls-checks.cfg\n" in files
    assert "/usr/share/icinga2/include/plugins-contrib.d/tls-checks.conf\n" in files
    assert "/usr/share/doc/monitoring-plugins-tls-checks/copyright\n" in files
    # the Icinga variables and Nagios commands are documented on the installed system
    assert "/usr/share/doc/monitoring-plugins-tls-checks/README.md.gz\n" in files
    depends = subprocess.run(["dpkg-query", "-W", "-f", "${Depends}", "monitoring-plugins-tls-checks"],
                             capture_output=True, text=True).stdout
    assert re.search(r"\bnetbase\b", depends), depends  # /etc/services for -p https, -p smtp
    # libunbound is opened with dlopen() (check_mail_tls, check_tls_cert --dane): shlibs cannot see it
    assert re.search(r"\blibunbound8\b", depends), depends
    assert re.search(r"\bdns-root-data\b", depends), depends  # the default DNSSEC trust anchor
    # The man page names the trust anchor the build was configured with (TLS_CHECKS_TRUST_ANCHOR).
    assert Path("/usr/share/dns/root.key").is_file()
    page = gzip.decompress(Path("/usr/share/man/man1/check_mail_tls.1.gz").read_bytes()).decode()
    assert "/usr/share/dns/root.key" in page, page
    conffiles = subprocess.run(["dpkg-query", "-W", "-f", "${Conffiles}", "monitoring-plugins-tls-checks"],
                               capture_output=True, text=True).stdout
    assert "/etc/nagios-plugins/config/tls-checks.cfg" in conffiles
    for plugin in PLUGINS:
        version = subprocess.run([str(PLUGIN_DIR / plugin), "--version"], capture_output=True, text=True)
        assert version.stdout.startswith(f"{plugin} "), (plugin, version.stdout)


def test_icinga2_validates_the_installed_checkcommands_with_include_plugins_contrib(deb):
    directory = readable_dir("icinga2-")
    config = directory / "icinga2.conf"
    config.write_text("""
const PluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = "/usr/lib/nagios/plugins"
include <itl>
include <plugins>
include <plugins-contrib>
object Host "www.example.test" {
  address = "127.0.0.1"
  check_command = "dummy"
  vars.https = true
  vars.mail = true
}
apply Service "certificate" {
  check_command = "tls_cert"
  assign where host.vars.https
}
apply Service "versions" {
  check_command = "tls_version"
  vars.tls_version_require = "tls1.3"
  assign where host.vars.https
}
apply Service "starttls-" for (port in [25, 587]) {
  check_command = "starttls"
  vars.starttls_port = port
  assign where host.vars.mail
}
apply Service "mail-tls" {
  check_command = "mail_tls"
  vars.mail_tls_domain = "example.test"
  vars.mail_tls_require = "dane-or-mta-sts"
  assign where host.vars.mail
}
""")
    config.chmod(0o644)
    # Validation writes icinga2.debug and icinga2.vars to the cache directory: ours, not the system's.
    cache = directory / "cache"
    cache.mkdir()
    shutil.chown(cache, "nagios", "nagios")
    result = subprocess.run(["icinga2", "daemon", "-C", "-c", str(config), f"-DCacheDir={cache}"],
                            capture_output=True, text=True)
    shutil.rmtree(directory)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning/" not in output and "critical/" not in output, output
    assert "Instantiated 5 Services" in output


def nagios_config(directory, services):
    """nagios.cfg and objects for a private Nagios 4 instance using the installed definitions."""
    (directory / "checkresults").mkdir()
    (directory / "resource.cfg").write_text("$USER1$=/usr/lib/nagios/plugins\n")
    objects = ["""
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday          00:00-24:00
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
}
define contact {
    contact_name                  admin
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    check_tls_cert
    service_notification_commands check_tls_cert
}
define host {
    host_name             localhost
    address               127.0.0.1
    max_check_attempts    1
    check_period          24x7
    contacts              admin
    notification_period   24x7
    notifications_enabled 0
}
"""]
    for description, command in services.items():
        objects.append(f"""
define service {{
    host_name             localhost
    service_description   {description}
    check_command         {command}
    max_check_attempts    1
    check_interval        300
    retry_interval        300
    check_period          24x7
    contacts              admin
    notification_period   24x7
    notification_interval 0
    notifications_enabled 0
}}
""")
    (directory / "objects.cfg").write_text("".join(objects))
    (directory / "nagios.cfg").write_text(f"""
log_file={directory}/nagios.log
cfg_file=/etc/nagios-plugins/config/tls-checks.cfg
cfg_file={directory}/objects.cfg
object_cache_file={directory}/objects.cache
precached_object_file={directory}/objects.precache
resource_file={directory}/resource.cfg
status_file={directory}/status.dat
status_update_interval=1
nagios_user=nagios
nagios_group=nagios
check_external_commands=0
lock_file={directory}/nagios.pid
temp_file={directory}/nagios.tmp
temp_path={directory}
check_result_path={directory}/checkresults
check_result_reaper_frequency=1
max_service_check_spread=1
max_host_check_spread=1
interval_length=1
use_syslog=0
illegal_macro_output_chars=`~$&|'"<>
enable_notifications=0
execute_host_checks=0
""")
    for path in directory.rglob("*"):
        shutil.chown(path, "nagios", "nagios")


def test_nagios4_validates_the_installed_command_definitions(deb):
    directory = readable_dir("nagios-")
    nagios_config(directory, {"certificate": "check_tls_cert!-p 443", "versions": "check_tls_version!--require tls1.3",
                              "starttls": "check_starttls!-p 25", "named": "check_tls_cert_name!www.example.test!-w 21",
                              "mail": "check_mail_tls!example.test!--require dane-or-mta-sts"})
    result = subprocess.run(["nagios4", "-v", str(directory / "nagios.cfg")], capture_output=True, text=True)
    shutil.rmtree(directory)
    assert result.returncode == 0, result.stdout
    assert re.search(r"Total Warnings:\s+0\b", result.stdout), result.stdout
    assert re.search(r"Total Errors:\s+0\b", result.stdout), result.stdout


def read_status(path):
    """servicestatus blocks of a Nagios status.dat, by service description."""
    services = {}
    for block in re.findall(r"servicestatus \{\n(.*?)\n\t\}", path.read_text(errors="replace"), re.DOTALL):
        fields = dict(line.strip().split("=", 1) for line in block.splitlines() if "=" in line)
        services[fields["service_description"]] = fields
    return services


def test_nagios4_schedules_the_plugins_and_reports_their_state_output_and_perfdata(deb):
    processes = Processes()
    directory = readable_dir("nagios-e2e-")
    try:
        pki = directory / "pki"
        pki.mkdir()
        healthy = standard_chain(pki, Spec("localhost", not_after_days=200), tag="healthy")
        expiring = standard_chain(pki, Spec("localhost", not_before_days=-360, not_after_days=5), tag="expiring")
        for path in pki.iterdir():
            path.chmod(0o644)
        ports = {}
        for name, chain in (("healthy", healthy), ("expiring", expiring)):
            ports[name] = free_port()
            processes.start(["openssl", "s_server", "-accept", f"127.0.0.1:{ports[name]}", "-cert", str(chain.leaf),
                             "-key", str(chain.key), "-cert_chain", str(chain.chain), "-www", "-quiet"], ports[name])
        mail = directory / "postfix"
        mail.mkdir()
        postfix = servers.postfix(processes, mail, healthy)
        # Postfix answers its first STARTTLS only once its tlsmgr is up; Nagios must not race it.
        for _ in range(30):
            warm = subprocess.run([str(PLUGIN_DIR / "check_starttls"), "-H", "localhost", "-p", str(postfix["smtp"]),
                                   "--starttls", "smtp", "-t", "5"], capture_output=True, text=True)
            if warm.returncode == 0:
                break
        assert warm.returncode == 0, warm.stdout
        ca = healthy.root
        nagios_config(directory, {
            "cert-healthy": f"check_tls_cert!-p {ports['healthy']} --ca-file {ca}",
            "cert-expiring": f"check_tls_cert!-p {ports['expiring']} --ca-file {ca}",
            "versions-healthy": f"check_tls_version!-p {ports['healthy']}",
            "starttls-healthy": f"check_starttls!-p {postfix['smtp']} --starttls smtp",
            "starttls-missing": f"check_starttls!-p {postfix['plain']} --starttls smtp",
        })
        nagios = subprocess.Popen(["nagios4", str(directory / "nagios.cfg")], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        processes.started.append(nagios)
        status = {}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (directory / "status.dat").exists():
                status = read_status(directory / "status.dat")
                if len(status) == 5 and all(s.get("has_been_checked") == "1" for s in status.values()):
                    break
            time.sleep(0.5)
        assert len(status) == 5 and all(s.get("has_been_checked") == "1" for s in status.values()), status
    finally:
        processes.stop_all()
        log = (directory / "nagios.log").read_text(errors="replace") if (directory / "nagios.log").exists() else ""
        shutil.rmtree(directory, ignore_errors=True)

    states = {name: int(s["current_state"]) for name, s in status.items()}
    assert states == {"cert-healthy": 0, "cert-expiring": 2, "versions-healthy": 0, "starttls-healthy": 0,
                      "starttls-missing": 2}, "\n".join(f'{n}: {s["plugin_output"]}' for n, s in status.items())
    assert status["cert-healthy"]["plugin_output"].startswith(f"TLS_CERT OK - localhost:{ports['healthy']} CN=localhost")
    assert re.match(r"days_left=(199\.\d+|200);30:;14: life_left=[\d.]+% days_left_intermediate1=[\d.]+;30:;14: "
                    r"days_left_anchor=[\d.]+;30:;14: time_revocation=[\d.]+s addresses=1;;;0 "
                    r"addresses_failing=0;;;0 time=[\d.]+s",
                    status["cert-healthy"]["performance_data"]), status["cert-healthy"]
    assert "expires in" in status["cert-expiring"]["plugin_output"]
    assert status["versions-healthy"]["performance_data"].startswith("sslv2=0 sslv3=0 tls1_0=0 tls1_1=0 tls1_2=1 tls1_3=1")
    assert "STARTTLS offered" in status["starttls-healthy"]["plugin_output"]
    assert "time_banner=" in status["starttls-healthy"]["performance_data"]
    assert "STARTTLS not offered" in status["starttls-missing"]["plugin_output"]


def test_rpm_builds_with_the_cmake_macros_is_rpmlint_clean_stripped_and_installs_into_libdir():
    out = Path(tempfile.mkdtemp(prefix="rpm-"))
    try:
        # build-rpm.sh fails when rpmlint reports an error; its report goes to stderr.
        result = subprocess.run([str(ROOT / "packaging" / "build-rpm.sh"), str(out)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert re.search(r"\b0 errors\b", result.stderr), result.stderr[-3000:]
        package = result.stdout.strip().splitlines()[-1]
        files = subprocess.run(["rpm", "-qlp", package], capture_output=True, text=True).stdout
        libdir = subprocess.run(["rpm", "--eval", "%{_libdir}"], capture_output=True, text=True).stdout.strip()
        for plugin in PLUGINS:
            assert f"{libdir}/nagios/plugins/{plugin}\n" in files
            assert f"/usr/share/man/man1/{plugin}.1.gz\n" in files
        assert "/usr/share/icinga2/include/plugins-contrib.d/tls-checks.conf" in files
        assert "/etc/nagios/objects/tls-checks.cfg" in files
        assert re.search(r"/usr/share/doc/tls-checks[^/]*/README.md\n", files), files
        requires = subprocess.run(["rpm", "-qp", "--requires", package], capture_output=True, text=True).stdout
        assert "libidn2.so.0()(64bit)" in requires  # dlopened, so required by soname explicitly
        assert "libunbound.so.8()(64bit)" in requires  # dlopened too
        assert re.search(r"^/var/lib/unbound/root\.key$", requires, re.MULTILINE), requires  # the trust anchor
        unpacked = out / "unpacked"
        unpacked.mkdir()
        subprocess.run(f"rpm2cpio '{package}' | cpio -idm --quiet", shell=True, cwd=unpacked, check=True)
        for plugin in PLUGINS:
            binary = unpacked / libdir.lstrip("/") / "nagios" / "plugins" / plugin
            described = subprocess.run(["file", str(binary)], capture_output=True, text=True).stdout
            assert ", stripped" in described, described
            dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True).stdout
            assert "BIND_NOW" in dynamic and "PIE" in dynamic, dynamic  # hardening flags reached the link
        # The spec's trust anchor (Fedora's and EL's, from unbound-libs) reached the build: the man
        # page is configured from the same TLS_CHECKS_TRUST_ANCHOR as the plugins' default.
        page = gzip.decompress((unpacked / "usr/share/man/man1/check_mail_tls.1.gz").read_bytes()).decode()
        assert "/var/lib/unbound/root.key" in page and "/usr/share/dns/root.key" not in page, page
    finally:
        shutil.rmtree(out)


def test_cmake_install_to_usr_gives_the_layout_the_cores_read_and_never_overwrites_package_files(deb):
    """The README's source install: cmake --install BUILD --prefix /usr. Staged (DESTDIR), it
    lays the files out where Debian's Icinga 2 and Nagios 4 read them; for real, with the .deb
    installed, it refuses before touching any file the package owns."""
    build = ROOT / "build" / "ci"
    assert (build / "cmake_install.cmake").exists(), "build the ci preset first (bash .ci/test does)"
    stage = Path(tempfile.mkdtemp(prefix="stage-"))
    try:
        staged = subprocess.run(["cmake", "--install", str(build), "--prefix", "/usr"], capture_output=True,
                                text=True, env={**os.environ, "DESTDIR": str(stage)})
        assert staged.returncode == 0, staged.stdout + staged.stderr
        installed = sorted(str(path.relative_to(stage)) for path in stage.rglob("*") if path.is_file())
        assert installed == sorted([f"usr/lib/nagios/plugins/{plugin}" for plugin in PLUGINS]
                                   + [f"usr/share/man/man1/{plugin}.1" for plugin in PLUGINS]
                                   + ["etc/nagios-plugins/config/tls-checks.cfg",
                                      "usr/share/icinga2/include/plugins-contrib.d/tls-checks.conf"]), installed
    finally:
        shutil.rmtree(stage)
    before = {path: path.stat().st_mtime_ns for path in
              [PLUGIN_DIR / plugin for plugin in PLUGINS] + [Path("/etc/nagios-plugins/config/tls-checks.cfg")]}
    refused = subprocess.run(["cmake", "--install", str(build), "--prefix", "/usr"], capture_output=True, text=True,
                             env={key: value for key, value in os.environ.items() if key != "DESTDIR"})
    assert refused.returncode != 0
    assert "not installing over files that an installed package owns" in refused.stderr, refused.stderr
    assert "/usr/lib/nagios/plugins/check_tls_cert (package monitoring-plugins-tls-checks)" in refused.stderr
    assert {path: path.stat().st_mtime_ns for path in before} == before
