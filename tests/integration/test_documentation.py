"""Every option a plugin accepts is documented in its man page and reachable from the Icinga 2
and Nagios definitions, and those definitions pass the real cores' own validation."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import PLUGIN_DIR, run_plugin

ROOT = Path(__file__).resolve().parents[2]
BUILD = PLUGIN_DIR.parent
PLUGINS = {"check_tls_cert": "tls_cert", "check_tls_version": "tls_version", "check_starttls": "starttls",
           "check_mail_tls": "mail_tls"}
# Options that only a second CheckCommand of the same plugin carries (check_tls_cert --file).
SECOND_COMMANDS = {"check_tls_cert": "tls_cert_file"}
# Plugins that check a mail domain (-D), not a host: no -H, no -I, no address to choose; their
# Nagios command takes the domain in $ARG1$ and further options in $ARG2$.
DOMAIN_PLUGINS = {"check_mail_tls"}
# --help and --version end a run; they have no place in a check definition.
NOT_FOR_CHECKS = {"--help", "--version"}


def help_options(plugin):
    """{'--warning': '-w', '--ca-file': None, ...} from the plugin's own --help."""
    text = run_plugin(plugin, "--help").stdout
    options = {}
    for match in re.finditer(r"^\s+(?:-(\w) \[ )?--([a-z0-9-]+)", text, re.MULTILINE):
        options["--" + match.group(2)] = ("-" + match.group(1)) if match.group(1) else None
    assert len(options) > 10, text
    return options


def icinga_arguments(command):
    text = (ROOT / "packaging" / "icinga2" / "tls-checks.conf").read_text()
    block = re.search(r'object CheckCommand "%s" \{(.*?)\n\}' % command, text, re.DOTALL)
    assert block, command
    return set(re.findall(r'^\t\t"(-[^"]+)" = \{', block.group(1), re.MULTILINE))


@pytest.mark.parametrize("plugin", PLUGINS)
def test_man_page_documents_every_option_in_help(plugin):
    page = (BUILD / "man" / f"{plugin}.1").read_text()
    # roff writes "-" in options as "\-"
    documented = set(re.findall(r"\\-\\-([a-z0-9\\-]+)", page))
    documented = {"--" + name.replace("\\-", "-") for name in documented}
    missing = set(help_options(plugin)) - documented
    assert not missing, f"{plugin}: options in --help but not in the man page: {sorted(missing)}"


@pytest.mark.parametrize("plugin, command", PLUGINS.items())
def test_man_page_names_the_icinga2_checkcommand_and_nagios_commands(plugin, command):
    page = (BUILD / "man" / f"{plugin}.1").read_text().replace("\\-", "-")
    section = page[page.index(".SH MONITORING CORE CONFIGURATION"):page.index(".SH SEE ALSO")]
    nagios = (ROOT / "packaging" / "nagios" / "tls-checks.cfg").read_text()
    icinga = (ROOT / "packaging" / "icinga2" / "tls-checks.conf").read_text()
    for name in [command] + ([SECOND_COMMANDS[plugin]] if plugin in SECOND_COMMANDS else []):
        assert f'object CheckCommand "{name}"' in icinga
        assert f".B {name}\n" in section, name
    for name in re.findall(r"command_name\s+(\S+)\n\s+command_line\s+\$USER1\$/%s " % plugin, nagios):
        assert name in section, name


@pytest.mark.parametrize("plugin, command", PLUGINS.items())
def test_icinga2_checkcommand_reaches_every_option(plugin, command):
    arguments = icinga_arguments(command)
    if plugin in SECOND_COMMANDS:
        arguments |= icinga_arguments(SECOND_COMMANDS[plugin])
    for long_name, short_name in help_options(plugin).items():
        if long_name in NOT_FOR_CHECKS:
            continue
        assert long_name in arguments or short_name in arguments, f"{command} lacks {long_name}"
    text = (ROOT / "packaging" / "icinga2" / "tls-checks.conf").read_text()
    block = re.search(r'object CheckCommand "%s" \{(.*?)\n\}' % command, text, re.DOTALL).group(1)
    if plugin in DOMAIN_PLUGINS:
        # The domain, by default the host object's name, is required; the plugin refuses -H and -I.
        assert "-H" not in arguments and "-I" not in arguments, arguments
        assert f'value = "${command}_domain$"\n\t\t\trequired = true' in block
        assert f'vars.{command}_domain = "$host.name$"' in block
        assert f'vars.{command}_ipv4 = "$check_ipv4$"' in block and f'vars.{command}_ipv6 = "$check_ipv6$"' in block
        return
    # -I only with an address (a host without one falls back to resolving -H), chosen by -4/-6.
    assert f'set_if = {{{{ string(macro("${command}_address$")) != "" }}}}' in block
    assert f'if (macro("${command}_ipv6$"))' in block
    assert 'import "ipv4-or-ipv6"' in block


def test_nagios_commands_pass_every_option_through_arg1():
    text = (ROOT / "packaging" / "nagios" / "tls-checks.cfg").read_text()
    for plugin in PLUGINS:
        line = re.search(r"command_name\s+%s\n\s+command_line\s+(.*)" % plugin, text)
        assert line, plugin
        if plugin in DOMAIN_PLUGINS:
            assert line.group(1) == f"$USER1$/{plugin} -D '$ARG1$' $ARG2$", line.group(1)
            continue
        assert line.group(1).startswith(f"$USER1$/{plugin} ") and line.group(1).endswith("$ARG1$")


@pytest.mark.skipif(not shutil.which("icinga2"), reason="icinga2 is not installed")
def test_icinga2_validates_the_checkcommands_and_example_services():
    # icinga2 reads its configuration as the nagios user: a world-readable copy in /tmp.
    directory = Path(tempfile.mkdtemp(prefix="icinga2-", dir="/tmp"))
    directory.chmod(0o755)
    shutil.copyfile(ROOT / "packaging" / "icinga2" / "tls-checks.conf", directory / "tls-checks.conf")
    config = directory / "icinga2.conf"
    config.write_text(f"""
const PluginDir = "{PLUGIN_DIR}"
include <itl>
include <plugins>
include "{directory}/tls-checks.conf"
object Host "mail.example.test" {{
  address = "127.0.0.1"
  check_command = "dummy"
  vars.https = true
  vars.mail = true
}}
apply Service "https-certificate" {{
  check_command = "tls_cert"
  vars.tls_cert_warning = "21"
  assign where host.vars.https
}}
apply Service "relay-certificate-file" {{
  check_command = "tls_cert_file"
  vars.tls_cert_file_path = "/etc/postfix/cert.pem"
  vars.tls_cert_file_name = host.name
  assign where host.vars.mail
}}
apply Service "https-versions" {{
  check_command = "tls_version"
  vars.tls_version_fallback_scsv = true
  assign where host.vars.https
}}
apply Service "starttls-" for (port in [25, 587]) {{
  check_command = "starttls"
  vars.starttls_port = port
  vars.starttls_plaintext_auth = "critical"
  assign where host.vars.mail
}}
apply Service "mail-tls" {{
  check_command = "mail_tls"
  vars.mail_tls_domain = "example.test"
  vars.mail_tls_require = [ "dane-or-mta-sts", "tlsrpt" ]
  assign where host.vars.mail
}}
object Service "mail-tls-dane" {{
  host_name = "mail.example.test"
  check_command = "mail_tls"
  vars.mail_tls_require = "dane"
  vars.mail_tls_dns_server = "127.0.0.1@5353"
  vars.mail_tls_versions = true
}}
object Service "https-dane" {{
  host_name = "mail.example.test"
  check_command = "tls_cert"
  vars.tls_cert_dane = true
  vars.tls_cert_dns_server = "127.0.0.1@5353"
  vars.tls_cert_trust_anchor = "/etc/tls-checks/lab.key"
}}
""")
    for path in directory.iterdir():
        path.chmod(0o644)
    # Validation writes icinga2.debug and icinga2.vars to the cache directory: ours, not the system's.
    cache = directory / "cache"
    cache.mkdir()
    shutil.chown(cache, "nagios", "nagios")
    result = subprocess.run(["icinga2", "daemon", "-C", "-c", str(config), f"-DCacheDir={cache}"],
                            capture_output=True, text=True)
    shutil.rmtree(directory)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning/" not in result.stdout + result.stderr, result.stdout
    assert "Instantiated 8 Services" in result.stdout
