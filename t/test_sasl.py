"""proto-sasl: the Dovecot authentication protocol, as an MTA speaks it.

A raw client checks the handshake, PLAIN, LOGIN, the plaintext rule and bad
input line by line; then a real Postfix smtpd (smtpd_sasl_type = dovecot)
authenticates Python's smtplib through sorad.
"""
import base64
import os
import pathlib
import shutil
import smtplib
import socket
import subprocess
import time

import pytest

from conftest import free_port, run_admin, wait_for, write_config

MODULES = ("auth-sql", "proto-sasl")
PASSWORD = "correct horse battery staple"


def b64(data):
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


@pytest.fixture
def sasl_site(tmp_path, postgres, database, module_dir, sorad_factory):
    """sorad serving sasl on a loopback port and a unix socket, one account."""
    port = free_port()
    sock = tmp_path / "auth.sock"
    body = f"""
[listener sasl]
protocol = sasl
address = 127.0.0.1:{port}

[listener sasl-unix]
protocol = sasl
address = unix:{sock}
unix_mode = 0600
"""
    conf = write_config(tmp_path / "sora.conf", postgres, database, module_dir, MODULES, body)
    run_admin(conf, "db", "migrate", check=True)
    run_admin(conf, "accounts", "create", "alice@example.org", "--password-stdin",
              input=PASSWORD + "\n", check=True)
    run_admin(conf, "credentials", "add", "alice@example.org", "Alias@Example.org",
              "--password-stdin", input="alias-secret\n", check=True)
    sorad = sorad_factory(conf).start()

    class Site:
        pass

    s = Site()
    s.port, s.sock, s.sorad, s.dir = port, sock, sorad, tmp_path
    yield s
    assert sorad.stop() == 0, sorad.log()


class AuthClient:
    """The client side of the protocol, one line at a time."""

    def __init__(self, port=None, path=None, handshake=True):
        if path:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(10)
            self.sock.connect(str(path))
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.greeting = []
        if handshake:
            self.send("VERSION\t1\t2")
            self.send(f"CPID\t{os.getpid()}")
            while True:
                line = self.line()
                self.greeting.append(line)
                if line == "DONE":
                    break

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"server closed the connection; had {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def closed(self):
        """True when the server closes the connection (after any lines it sent)."""
        try:
            while True:
                chunk = self.sock.recv(4096)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False

    def request(self, line):
        self.send(line)
        return self.line().split("\t")

    def close(self):
        self.sock.close()


def plain(user, password, authzid=""):
    return b64(f"{authzid}\0{user}\0{password}")


def auth_plain(c, rid, user, password, extra="\tsecured"):
    return c.request(f"AUTH\t{rid}\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.7"
                     f"{extra}\tresp={plain(user, password)}")


# --- raw protocol ----------------------------------------------------------

def test_handshake(sasl_site):
    for c in (AuthClient(sasl_site.port), AuthClient(path=sasl_site.sock)):
        g = c.greeting
        assert g[0] == "VERSION\t1\t2"
        assert g[1:3] == ["MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext"]
        assert g[3].startswith("SPID\t") and g[3].split("\t")[1].isdigit()
        assert g[4].startswith("CUID\t") and g[4].split("\t")[1].isdigit()
        cookie = g[5].split("\t")
        assert cookie[0] == "COOKIE" and len(cookie[1]) == 32 and int(cookie[1], 16) >= 0
        assert g[6] == "DONE" and len(g) == 7
        c.close()


def test_plain(sasl_site):
    c = AuthClient(sasl_site.port)
    assert auth_plain(c, 1, "alice@example.org", PASSWORD) == ["OK", "1", "user=alice@example.org"]
    # An alias logs in as the account's primary address.
    assert auth_plain(c, 2, "Alias@Example.org", "alias-secret") == ["OK", "2", "user=alice@example.org"]
    assert auth_plain(c, 3, "alice@example.org", "wrong") == ["FAIL", "3", "user=alice@example.org"]
    assert auth_plain(c, 4, "nobody@example.org", "x") == ["FAIL", "4", "user=nobody@example.org"]
    # authzid equal to the user is fine; another one is a failed login.
    r = c.request(f"AUTH\t5\tPLAIN\tservice=smtp\tsecured\t"
                  f"resp={plain('alice@example.org', PASSWORD, 'alice@example.org')}")
    assert r == ["OK", "5", "user=alice@example.org"]
    r = c.request(f"AUTH\t6\tPLAIN\tservice=smtp\tsecured\t"
                  f"resp={plain('alice@example.org', PASSWORD, 'bob@example.org')}")
    assert r == ["FAIL", "6", "user=alice@example.org"]
    # No initial response: an empty challenge, then the response.
    assert c.request("AUTH\t7\tPLAIN\tservice=smtp\tsecured") == ["CONT", "7", ""]
    assert c.request(f"CONT\t7\t{plain('alice@example.org', PASSWORD)}") == \
        ["OK", "7", "user=alice@example.org"]
    # The same connection keeps serving; ids may be reused once answered.
    assert auth_plain(c, 1, "alice@example.org", PASSWORD)[0] == "OK"
    c.close()
    log = sasl_site.sorad.log()
    assert "sasl: login user=alice@example.org service=smtp rip=192.0.2.7" in log
    assert PASSWORD not in log


def test_login_mechanism(sasl_site):
    c = AuthClient(path=sasl_site.sock)
    assert c.request("AUTH\t1\tLOGIN\tservice=smtp\trip=127.0.0.1") == ["CONT", "1", b64("Username:")]
    assert c.request(f"CONT\t1\t{b64('alice@example.org')}") == ["CONT", "1", b64("Password:")]
    assert c.request(f"CONT\t1\t{b64(PASSWORD)}") == ["OK", "1", "user=alice@example.org"]
    # The user name as the initial response, then a wrong password.
    r = c.request(f"AUTH\t2\tLOGIN\tservice=smtp\tsecured\tresp={b64('alice@example.org')}")
    assert r == ["CONT", "2", b64("Password:")]
    assert c.request(f"CONT\t2\t{b64('nope')}") == ["FAIL", "2", "user=alice@example.org"]
    c.close()


def test_plaintext_needs_tls_or_loopback(sasl_site):
    c = AuthClient(sasl_site.port)
    # Neither secured nor a loopback rip: refused before any password check.
    r = auth_plain(c, 1, "alice@example.org", PASSWORD, extra="")
    assert r[:2] == ["FAIL", "1"] and any(f.startswith("reason=Plaintext") for f in r)
    r = c.request(f"AUTH\t2\tPLAIN\tservice=smtp\tresp={plain('alice@example.org', PASSWORD)}")
    assert r[:2] == ["FAIL", "2"] and any(f.startswith("reason=") for f in r)
    r = c.request("AUTH\t3\tLOGIN\tservice=smtp\trip=10.1.2.3")
    assert r[:2] == ["FAIL", "3"]
    # From loopback, or with secured, it goes ahead.
    r = c.request(f"AUTH\t4\tPLAIN\tservice=smtp\trip=::1\tresp={plain('alice@example.org', PASSWORD)}")
    assert r == ["OK", "4", "user=alice@example.org"]
    assert auth_plain(c, 5, "alice@example.org", PASSWORD)[0] == "OK"
    c.close()


def test_bad_requests_get_fail(sasl_site):
    c = AuthClient(sasl_site.port)
    assert c.request("AUTH\t1\tCRAM-MD5\tservice=smtp\tsecured") == \
        ["FAIL", "1", "reason=Unsupported authentication mechanism"]
    assert c.request("AUTH\t2\tPLAIN\tsecured")[:2] == ["FAIL", "2"]          # no service=
    r = c.request("AUTH\t3\tPLAIN\tservice=smtp\tsecured\tresp=not*base64")
    assert r[:2] == ["FAIL", "3"] and "base64" in r[-1]
    r = c.request(f"AUTH\t4\tPLAIN\tservice=smtp\tsecured\tresp={b64('no-nuls-here')}")
    assert r[:2] == ["FAIL", "4"] and r[-1].startswith("reason=")
    assert c.request("AUTH\t5\tLOGIN\tservice=smtp\tsecured")[0] == "CONT"
    r = c.request("CONT\t5\t%%%")
    assert r[:2] == ["FAIL", "5"] and "base64" in r[-1]
    # Still usable after all that.
    assert auth_plain(c, 6, "alice@example.org", PASSWORD)[0] == "OK"
    c.close()


@pytest.mark.parametrize("lines,why", [
    (["AUTH\t1\tPLAIN\tservice=smtp"], "did not start with VERSION"),
    (["VERSION\t2\t0"], "protocol version 2"),
    (["VERSION\t1\t2", "HELLO"], "unknown command"),
    (["VERSION\t1\t2", "AUTH\tx\tPLAIN\tservice=smtp"], "not a 32-bit number"),
    (["VERSION\t1\t2", "CONT\t9\tAAAA"], "not waiting for data"),
    (["VERSION\t1\t2", "AUTH\t1\tLOGIN\tservice=smtp\tsecured", "AUTH\t1\tLOGIN\tservice=smtp\tsecured"],
     "reuses the id 1"),
    (["VERSION\t1\t2", "AUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp=" + "A" * 9000],
     "longer than 8192 bytes"),
])
def test_protocol_errors_close_the_connection(sasl_site, lines, why):
    c = AuthClient(sasl_site.port, handshake=False)
    for line in lines:
        c.send(line)
    assert c.closed()
    sasl_site.sorad.wait_log(why)
    # The worker lives on.
    c2 = AuthClient(sasl_site.port)
    assert auth_plain(c2, 1, "alice@example.org", PASSWORD)[0] == "OK"
    c2.close()


def test_too_many_requests(sasl_site):
    c = AuthClient(sasl_site.port)
    for i in range(32):
        c.send(f"AUTH\t{i}\tLOGIN\tservice=smtp\tsecured")
    for i in range(32):
        assert c.line() == f"CONT\t{i}\t{b64('Username:')}"
    r = c.request("AUTH\t99\tLOGIN\tservice=smtp\tsecured")
    assert r[:2] == ["FAIL", "99"] and "reason=Too many requests at once" in r
    c.send("CANCEL\t0")
    assert c.request("AUTH\t100\tLOGIN\tservice=smtp\tsecured")[:2] == ["CONT", "100"]
    c.close()


def test_concurrent_requests_and_failure_delay(sasl_site, postgres, database, module_dir):
    """A slow failed login does not hold up the others on the connection."""
    conf = sasl_site.sorad.config
    conf.write_text(conf.read_text().replace("failure_delay = 0", "failure_delay = 1500ms"))
    sasl_site.sorad.signal(__import__("signal").SIGHUP)
    sasl_site.sorad.wait_log("reload")
    time.sleep(0.5)
    c = AuthClient(sasl_site.port)
    start = time.monotonic()
    c.send(f"AUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp={plain('alice@example.org', 'bad')}")
    c.send(f"AUTH\t2\tPLAIN\tservice=smtp\tsecured\tresp={plain('alice@example.org', PASSWORD)}")
    assert c.line() == "OK\t2\tuser=alice@example.org"
    assert time.monotonic() - start < 1.4
    assert c.line() == "FAIL\t1\tuser=alice@example.org"
    assert time.monotonic() - start >= 1.4
    c.close()


# --- a real Postfix --------------------------------------------------------

class Postfix:
    """A private Postfix instance: its own config, queue and log folders."""

    def __init__(self, root: pathlib.Path, smtp_port, sasl_path):
        self.root = root
        self.conf = root / "conf"
        self.log = root / "log" / "maillog"
        self.port = smtp_port
        for d in ("conf", "queue", "data", "log"):
            (root / d).mkdir(parents=True, exist_ok=True)
        # The postfix account must reach data_directory through pytest's folders.
        for parent in [root] + list(root.parents):
            if str(parent) in ("/", "/tmp"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o711)
        shutil.chown(root / "data", "postfix")
        (self.conf / "main.cf").write_text(f"""
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = sora-test.localdomain
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
disable_dns_lookups = yes
smtp_dns_support_level = disabled
maillog_file = {self.log}
maillog_file_prefixes = {root}/log
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sasl_path}
smtpd_tls_security_level = none
smtpd_sasl_security_options = noanonymous
""")
        (self.conf / "master.cf").write_text(
            f"127.0.0.1:{smtp_port} inet n - n - - smtpd\n"
            "postlog unix-dgram n - n - 1 postlogd\n"
            # smtpd opens its lookup tables through proxymap when it starts.
            "proxymap unix - - n - - proxymap\n"
            "rewrite unix - - n - - trivial-rewrite\n")
        subprocess.run(["postconf", "-c", str(self.conf), "-F", "*/*/chroot = n"], check=True)

    def postfix(self, *args):
        return subprocess.run(["postfix", "-c", str(self.conf), *args], capture_output=True,
                              text=True, timeout=60)

    def start(self):
        out = self.postfix("start")
        assert out.returncode == 0, out.stdout + out.stderr + self.maillog()

        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(listening, 15, "Postfix's smtpd to listen")

    def stop(self):
        self.postfix("stop")

    def maillog(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def postfix(sasl_site):
    if shutil.which("postfix") is None:
        pytest.fail("Postfix is not installed (apt-get install postfix; contrib/quickstart.sh test does)")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root (its master runs as root)")
    pf = Postfix(sasl_site.dir / "postfix", free_port(), f"inet:127.0.0.1:{sasl_site.port}")
    pf.start()
    yield pf
    pf.stop()


def smtp_login(port, mechanism, user, password):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo("client.example")
        assert smtp.has_extn("auth"), smtp.esmtp_features
        assert set(smtp.esmtp_features["auth"].split()) >= {"PLAIN", "LOGIN"}
        smtp.user, smtp.password = user, password
        auth = {"PLAIN": smtp.auth_plain, "LOGIN": smtp.auth_login}[mechanism]
        try:
            return smtp.auth(mechanism, auth)
        except smtplib.SMTPAuthenticationError as e:
            return e.smtp_code, e.smtp_error


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_postfix_smtpd_authenticates_through_sorad(sasl_site, postfix, mechanism):
    code, text = smtp_login(postfix.port, mechanism, "alice@example.org", PASSWORD)
    assert code == 235, (text, postfix.maillog())
    code, _ = smtp_login(postfix.port, mechanism, "Alias@Example.org", "alias-secret")
    assert code == 235, postfix.maillog()
    code, text = smtp_login(postfix.port, mechanism, "alice@example.org", "wrong password")
    assert code == 535, (text, postfix.maillog())
    # postlogd writes the log a moment later.
    wait_for(lambda: postfix.maillog().count(" auth=1 ") == 2, 10, "two successful AUTHs in the maillog")
    wait_for(lambda: f"SASL {mechanism} authentication failed: (reason unavailable), "
             "sasl_username=alice@example.org" in postfix.maillog(), 10, "the failed AUTH in the maillog")
    assert "sasl: login user=alice@example.org service=smtp rip=127.0.0.1" in sasl_site.sorad.log()
