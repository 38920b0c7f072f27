"""sorad as an operator and a client see it: start, -n, -t, signals, workers,
TLS, STARTTLS, PROXY v2, PostgreSQL going away, schema checks.

Sessions use the test-only protocol module proto-authtest (t/modules), which
drives the real listeners, TLS and authentication: `LOGIN user password`
answers `OK <primary address>` or `NO ...`; `INFO` reports tls, secured, ip and
port as sorad sees them; `SLEEP ms` holds a command in flight.
"""
import hashlib
import os
import pathlib
import signal
import socket
import ssl
import struct
import subprocess
import time

import pytest

from conftest import (LATEST, SORAD, BUILD, LineClient, Postgres, free_port, run_admin, wait_for,
                      write_config)

MODULES = ("auth-sql", "proto-authtest")
PASSWORD = "correct horse battery staple"


def sorad_cmd(*args):
    return subprocess.run([str(SORAD), *map(str, args)], capture_output=True, text=True, timeout=60)


@pytest.fixture
def site(tmp_path, postgres, database, module_dir, certificate):
    """A migrated database with one account, and a config writer for sorad."""

    class Site:
        dir = tmp_path
        port = free_port()
        tls_port = free_port()
        cert, key = certificate

        def config(self, body=None, modules=MODULES, pg=postgres, dbname=database):
            if body is None:
                body = self.listeners()
            return write_config(tmp_path / "sora.conf", pg, dbname, module_dir, modules, body)

        def listeners(self, extra=""):
            return f"""
[tls]
cert_file = {self.cert}
key_file = {self.key}

[listener plain]
protocol = authtest
address = 127.0.0.1:{self.port}
tls = starttls
{extra}
[listener secure]
protocol = authtest
address = 127.0.0.1:{self.tls_port}
tls = implicit
"""

    s = Site()
    conf = s.config()
    run_admin(conf, "db", "migrate", check=True)
    run_admin(conf, "accounts", "create", "alice@example.org", "--password-stdin",
              input=PASSWORD + "\n", check=True)
    run_admin(conf, "credentials", "add", "alice@example.org", "Alias@Example.org",
              "--password-stdin", input="alias-secret\n", check=True)
    return s


def login(client, user, password):
    return client.command(f"LOGIN {user} {password}")


def greet(port, **kw):
    c = LineClient(port, **kw)
    assert c.line() == "* OK authtest ready"
    return c


# --- command line ---------------------------------------------------------

def test_version_and_help():
    out = sorad_cmd("--version")
    assert out.returncode == 0
    assert out.stdout.startswith("sorad (Sora) ")
    assert "module ABI: 2" in out.stdout
    out = sorad_cmd("--help")
    assert out.returncode == 0 and "usage: sorad" in out.stdout
    out = sorad_cmd("--no-such-option")
    assert out.returncode == 64


def test_print_effective_configuration(site):
    conf = site.config()
    out = sorad_cmd("-c", conf, "-n")
    assert out.returncode == 0, out.stderr
    assert f"# effective configuration of {conf}" in out.stdout
    assert "[core]\nmodules = auth-sql proto-authtest\n" in out.stdout
    assert "shutdown_timeout = 5s\n" in out.stdout        # set in the file
    assert "thread_pool_size = 4\n" in out.stdout         # a default
    assert "[auth-sql]\nuse_replica = no\n" in out.stdout  # a module's section
    assert f"[listener secure]\nprotocol = authtest\naddress = 127.0.0.1:{site.tls_port}\ntls = implicit\n" \
        in out.stdout
    changed = sorad_cmd("-c", conf, "-n", "--changed")
    assert changed.returncode == 0
    assert "shutdown_timeout = 5s" in changed.stdout
    assert "thread_pool_size" not in changed.stdout


def test_check_good_configuration(site):
    out = sorad_cmd("-c", site.config(), "-t")
    assert out.returncode == 0, out.stderr
    assert "configuration is valid (2 module(s) loaded)" in out.stdout


BAD_CONFIGS = [
    # (what to append or replace, expected message after "FILE:")
    ("[core]\nworkerz = 2\n", "[core] workerz: unknown key (did you mean workers?)"),
    ("[auth-sql]\nuse_replica = sometimes\n",
     "[auth-sql] use_replica: 'sometimes' is not a boolean (use yes or no)"),
    ("[listener x]\nprotocol = authtest\naddress = 127.0.0.1:1\nbacklog = 0\n",
     "[listener x] backlog: '0' is out of range (1 to 65535)"),
    ("[imap]\nport = 143\n", "[imap]: unknown section"),
    ("[listener x]\nprotocol = imap\naddress = 127.0.0.1:1\n",
     "[listener x] protocol: no loaded module serves \"imap\" (served: authtest;"),
    ("[listener x]\nprotocol = authtest\n", "[listener x] address: required, but not set"),
    ("[listener x]\nprotocol = authtest\naddress = 127.0.0.1\n",
     "[listener x] address: \"127.0.0.1\": expected HOST:PORT, [IPV6]:PORT, *:PORT or unix:/PATH"),
    ("[listener x]\nprotocol = authtest\naddress = *:99999\n",
     "[listener x] address: \"*:99999\": the port must be a number from 1 to 65535"),
    ("[listener x]\nprotocol = authtest\naddress = ::1:143\n",
     "[listener x] address: \"::1:143\": write an IPv6 address in brackets: [::1]:143"),
    ("[listener x]\nprotocol = authtest\naddress = unix:relative.sock\n",
     "[listener x] address: \"unix:relative.sock\": a unix: address needs an absolute path"),
]


@pytest.mark.parametrize("text,expected", BAD_CONFIGS)
def test_check_rejects_bad_configuration(site, text, expected):
    conf = site.config(body=text)
    lines = conf.read_text().splitlines()
    out = sorad_cmd("-c", conf, "-t")
    assert out.returncode == 78, out.stdout + out.stderr
    msg = out.stderr.strip()
    assert msg.startswith(f"sorad: {conf}:"), msg
    assert expected in msg
    # The line number points at the offending key (or the section header).
    lineno = int(msg.split(":")[2])
    assert 1 <= lineno <= len(lines)
    assert lines[lineno - 1].split("=")[0].strip().strip("[]").split()[0] in expected


def test_duplicate_key_names_both_lines(site):
    # write_config sets log_level in its [core]; the body repeats it in a second [core].
    conf = site.config(body="[core]\nlog_level = info\n")
    lines = conf.read_text().splitlines()
    first = lines.index("log_level = debug") + 1
    second = lines.index("log_level = info") + 1
    out = sorad_cmd("-c", conf, "-t")
    assert out.returncode == 78
    assert f"{conf}:{second}: [core] log_level: set twice (first at line {first})" in out.stderr


def test_check_rejects_bad_modules(site, module_dir, tmp_path):
    conf = site.config(modules=("auth-sql", "auth-sql"))
    out = sorad_cmd("-c", conf, "-t")
    assert out.returncode == 78
    assert '[core] modules: "auth-sql" is listed twice' in out.stderr
    conf = site.config(modules=("auth-sql", "proto-nothing"))
    out = sorad_cmd("-c", conf, "-t")
    assert out.returncode == 78
    assert f"{module_dir}/proto-nothing.so: no such module file" in out.stderr
    # A file that is not a Sora module at all.
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "auth-sql.so").symlink_to("/lib/x86_64-linux-gnu/libz.so.1")
    text = site.config().read_text().replace(f"module_dir = {module_dir}",
                                             f"module_dir = {tmp_path / 'mods'}")
    conf.write_text(text)
    out = sorad_cmd("-c", conf, "-t")
    assert out.returncode == 78
    assert "auth-sql.so: not a Sora module (it exports no sora_module)" in out.stderr


def test_check_rejects_bad_tls(site, tmp_path):
    conf = site.config(body=site.listeners().replace(str(site.cert), str(tmp_path / "missing.pem")))
    out = sorad_cmd("-c", conf, "-t")
    assert out.returncode == 78
    assert str(tmp_path / "missing.pem") in out.stderr
    body = site.listeners().replace(f"cert_file = {site.cert}\n", "")
    out = sorad_cmd("-c", site.config(body=body), "-t")
    assert out.returncode == 78
    assert "cert_file" in out.stderr


def test_only_sora_module_is_exported(module_dir):
    for so in sorted(module_dir.iterdir()):
        out = subprocess.run(["nm", "-D", "--defined-only", str(so.resolve())],
                             capture_output=True, text=True, check=True)
        names = sorted(line.split()[-1] for line in out.stdout.splitlines() if line.strip())
        assert names == ["sora_module"], f"{so.name} exports {names}"


# --- serving --------------------------------------------------------------

def test_start_and_authenticate(site, sorad_factory):
    d = sorad_factory(site.config()).start()
    assert len(d.workers()) == 2
    c = greet(site.port)
    assert c.command("INFO").startswith("OK tls=no secured=yes ip=127.0.0.1 ")
    assert login(c, "alice@example.org", "wrong") == "NO authentication failed"
    assert login(c, "ALICE@example.org", PASSWORD) == "OK alice@example.org"
    assert login(c, "alias@example.org", "alias-secret") == "OK alice@example.org"
    assert login(c, "alias@example.org", PASSWORD) == "NO authentication failed"
    assert login(c, "nobody@example.org", PASSWORD) == "NO authentication failed"
    assert c.command("FROB") == "BAD unknown command"
    assert c.command("QUIT") == "OK bye"
    log = d.log()
    assert "result=ok" in log and "result=failed" in log
    assert PASSWORD not in log and "alias-secret" not in log
    assert d.stop() == 0


def test_deleted_account_cannot_log_in(site, sorad_factory):
    d = sorad_factory(site.config()).start()
    run_admin(site.config(), "accounts", "delete", "alice@example.org", check=True)
    c = greet(site.port)
    assert login(c, "alice@example.org", PASSWORD) == "NO authentication failed"
    run_admin(site.config(), "accounts", "restore", "alice@example.org", check=True)
    assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"
    d.stop()


def test_implicit_tls_listener(site, sorad_factory):
    sorad_factory(site.config()).start()
    c = greet(site.tls_port, implicit_tls=True)
    assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
    assert c.command("INFO").startswith("OK tls=yes secured=yes")
    assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"


def test_tls_below_1_2_refused(site, sorad_factory):
    sorad_factory(site.config()).start()
    ctx = LineClient.tls_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", site.tls_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname="localhost")


def proxy_v2_header(src, dst, sport, dport):
    sig = b"\r\n\r\n\x00\r\nQUIT\n"
    addr = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    return sig + bytes([0x21, 0x11]) + struct.pack("!H", len(addr)) + addr


def test_proxy_v2_and_plaintext_refused_without_tls(site, sorad_factory):
    """A PROXY header from a trusted proxy sets the client's address; a remote
    client must use STARTTLS before a plaintext password is accepted."""
    body = site.listeners(extra="proxy_protocol = yes\n")
    sorad_factory(site.config(body=body)).start()
    c = LineClient(site.port)
    c.sock.sendall(proxy_v2_header("203.0.113.7", "192.0.2.1", 40000, 143))
    assert c.line() == "* OK authtest ready"
    assert c.command("INFO") == "OK tls=no secured=no ip=203.0.113.7 port=40000"
    assert login(c, "alice@example.org", PASSWORD) == "NO plaintext login needs TLS"
    assert c.command("STARTTLS") == "OK begin TLS"
    c.starttls()
    assert c.command("INFO") == "OK tls=yes secured=yes ip=203.0.113.7 port=40000"
    assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"
    assert c.command("STARTTLS").startswith("NO")


def test_proxy_header_from_untrusted_peer_is_not_believed(site, sorad_factory):
    body = site.listeners(extra="proxy_protocol = yes\nproxy_trusted = 10.0.0.0/8\n")
    d = sorad_factory(site.config(body=body)).start()
    c = greet(site.port)
    assert c.command("INFO").startswith("OK tls=no secured=yes ip=127.0.0.1 ")
    assert "127.0.0.1" in d.log()


def test_unix_socket_listener(site, sorad_factory, tmp_path):
    path = tmp_path / "authtest.sock"
    body = site.listeners() + f"\n[listener local]\nprotocol = authtest\naddress = unix:{path}\n"
    sorad_factory(site.config(body=body)).start()
    assert oct(os.stat(path).st_mode & 0o777) == "0o660"
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(path))
    s.settimeout(5)
    f = s.makefile("rwb")
    assert f.readline() == b"* OK authtest ready\r\n"
    f.write(f"LOGIN alice@example.org {PASSWORD}\r\n".encode())
    f.flush()
    assert f.readline() == b"OK alice@example.org\r\n"


def test_second_instance_refused_by_pid_file(site, sorad_factory):
    d = sorad_factory(site.config()).start()
    pid_file = site.dir / "sorad.pid"
    assert int(pid_file.read_text()) == d.proc.pid
    other = sorad_cmd("-c", site.config())
    assert other.returncode == 1
    assert f"sorad is already running as pid {d.proc.pid}" in other.stdout + other.stderr
    d.stop()
    assert not pid_file.exists()


# --- signals and workers ----------------------------------------------------

def cert_fingerprint(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with LineClient.tls_context().wrap_socket(raw, server_hostname="localhost") as s:
            return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def test_sighup_reloads_certificate_without_dropping_sessions(site, sorad_factory, tmp_path):
    d = sorad_factory(site.config()).start()
    before = cert_fingerprint(site.tls_port)
    held = greet(site.tls_port, implicit_tls=True)
    assert login(held, "alice@example.org", PASSWORD) == "OK alice@example.org"
    # A new certificate, same file names; log_level changes too.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(tmp_path / "k2.pem"), "-out", str(tmp_path / "c2.pem"),
                    "-days", "2", "-subj", "/CN=renewed"], check=True, capture_output=True)
    body = site.listeners().replace(str(site.cert), str(tmp_path / "c2.pem")).replace(
        str(site.key), str(tmp_path / "k2.pem"))
    site.config(body=body)
    d.signal(signal.SIGHUP)
    d.wait_log("reloading")
    wait_for(lambda: cert_fingerprint(site.tls_port) != before, what="the new certificate")
    # The session opened before the reload carries on.
    assert held.command("INFO").startswith("OK tls=yes")
    assert login(held, "alice@example.org", PASSWORD) == "OK alice@example.org"
    assert d.proc.poll() is None


def test_sighup_with_bad_configuration_keeps_running(site, sorad_factory):
    d = sorad_factory(site.config()).start()
    conf = site.config()
    conf.write_text(conf.read_text().replace("workers = 2", "workers = lots"))
    d.signal(signal.SIGHUP)
    d.wait_log("reload failed, keeping the running configuration")
    assert "'lots' is not a whole number" in d.log()
    c = greet(site.port)
    assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"


def test_sighup_reports_keys_needing_restart(site, sorad_factory):
    d = sorad_factory(site.config()).start()
    conf = site.config()
    conf.write_text(conf.read_text().replace("workers = 2", "workers = 3"))
    d.signal(signal.SIGHUP)
    d.wait_log("[core] workers changed: restart sorad to apply it")
    assert len(d.workers()) == 2


def test_sigterm_drains_sessions(site, sorad_factory):
    d = sorad_factory(site.config()).start()
    busy = greet(site.port)
    idle = greet(site.port)
    busy.sock.sendall(b"SLEEP 1500\r\n")
    time.sleep(0.2)  # let the SLEEP start before the signal
    d.signal(signal.SIGTERM)
    # The idle session is told to go; the busy one finishes its command.
    assert idle.line() == "* BYE shutting down"
    assert busy.line() == "OK"
    d.proc.wait(15)
    assert d.proc.returncode == 0
    assert "sorad stopped" in d.log()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", site.port), timeout=2)


def test_sigterm_closes_sessions_after_shutdown_timeout(site, sorad_factory):
    conf = site.config()
    conf.write_text(conf.read_text().replace("shutdown_timeout = 5s", "shutdown_timeout = 1s"))
    d = sorad_factory(conf).start()
    stuck = greet(site.port)
    stuck.sock.sendall(b"SLEEP 60000\r\n")
    time.sleep(0.2)
    t0 = time.monotonic()
    d.signal(signal.SIGTERM)
    d.proc.wait(15)
    assert time.monotonic() - t0 < 8
    assert d.proc.returncode == 0
    assert "still open after shutdown_timeout" in d.log()


def test_worker_killed_is_restarted(site, sorad_factory):
    d = sorad_factory(site.config()).start()
    workers = d.workers()
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    d.wait_log("killed by signal")
    wait_for(lambda: len(d.workers()) == 2 and workers[0] not in d.workers(), what="a new worker")
    for _ in range(4):  # whichever worker accepts, it serves
        c = greet(site.port)
        assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"
        c.close()


# --- PostgreSQL and the schema ---------------------------------------------

@pytest.fixture
def own_postgres(tmp_path):
    """A cluster this test may stop and start."""
    pg = Postgres(tmp_path / "own-pg")
    if os.geteuid() == 0:
        os.chmod(tmp_path, 0o755)
    pg.init()
    pg.start()
    yield pg
    pg.stop()


def test_postgresql_unreachable_at_start_then_back(site, sorad_factory, own_postgres):
    dbname = own_postgres.create_database()
    conf = site.config(pg=own_postgres, dbname=dbname)
    run_admin(conf, "db", "migrate", check=True)
    run_admin(conf, "accounts", "create", "bob@example.org", "--password-stdin", input="bobpw\n", check=True)
    own_postgres.stop()
    d = sorad_factory(conf).start()
    assert "PostgreSQL is not reachable" in d.log()
    c = greet(site.port)
    assert login(c, "bob@example.org", "bobpw") == "NO temporary failure"
    own_postgres.start()
    wait_for(lambda: login(c, "bob@example.org", "bobpw") == "OK bob@example.org", timeout=20,
             what="logins to work once PostgreSQL is back")


def test_sigterm_during_start_up_starts_no_worker(site, sorad_factory):
    # A server that accepts and never answers: the schema check before the
    # workers fork waits for connect_timeout (2 s).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]

    class Silent:
        @staticmethod
        def conninfo(dbname):
            return f"host=127.0.0.1 port={port} dbname={dbname}"

    d = sorad_factory(site.config(pg=Silent)).start(wait_ready=False)
    time.sleep(0.5)
    d.signal(signal.SIGTERM)
    assert d.proc.wait(timeout=15) == 0
    silent.close()
    assert "started as pid" not in d.log()
    assert "stopped before starting its workers" in d.log()


def test_postgresql_lost_mid_run_reconnects(site, sorad_factory, own_postgres):
    dbname = own_postgres.create_database()
    conf = site.config(pg=own_postgres, dbname=dbname)
    run_admin(conf, "db", "migrate", check=True)
    run_admin(conf, "accounts", "create", "bob@example.org", "--password-stdin", input="bobpw\n", check=True)
    d = sorad_factory(conf).start()
    c = greet(site.port)
    assert login(c, "bob@example.org", "bobpw") == "OK bob@example.org"
    own_postgres.stop()
    assert login(c, "bob@example.org", "bobpw") == "NO temporary failure"
    own_postgres.start()
    wait_for(lambda: login(c, "bob@example.org", "bobpw") == "OK bob@example.org", timeout=20,
             what="logins to work once PostgreSQL is back")
    assert d.proc.poll() is None


def test_outdated_schema_refused(site, postgres):
    dbname = postgres.create_database()
    conf = site.config(dbname=dbname)
    out = sorad_cmd("-c", conf)
    assert out.returncode == 78
    assert "version 0" in out.stderr and f"version {LATEST}" in out.stderr
    assert "sora-admin db migrate" in out.stderr


def test_newer_schema_refused(site, postgres):
    dbname = postgres.create_database()
    conf = site.config(dbname=dbname)
    run_admin(conf, "db", "migrate", check=True)
    postgres.psql(dbname, "INSERT INTO sora_schema_migrations (version, name) VALUES (999, 'future')")
    out = sorad_cmd("-c", conf)
    assert out.returncode == 78
    assert "999" in out.stderr and f"version {LATEST}" in out.stderr


def test_ipv6_and_wildcard_addresses(site, sorad_factory):
    """`[::1]:PORT` listens on IPv6 loopback; `*:PORT` on every IPv4 and IPv6 address."""
    v6, anyport = free_port(), free_port()
    body = site.listeners() + f"""
[listener six]
protocol = authtest
address = [::1]:{v6}

[listener everywhere]
protocol = authtest
address = *:{anyport}
"""
    d = sorad_factory(site.config(body=body)).start()
    assert f"[::1]:{v6}" in d.log()
    for host, port in (("::1", v6), ("::1", anyport), ("127.0.0.1", anyport)):
        c = greet(port, host=host)
        assert c.command("INFO").startswith(f"OK tls=no secured=yes ip={host} ")
        assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"
        c.close()


@pytest.fixture
def replica(tmp_path, postgres):
    """A streaming-replication standby of the session cluster (pg_basebackup -R)."""
    standby = Postgres(tmp_path / "replica")
    if os.geteuid() == 0:
        os.chmod(tmp_path, 0o755)
    standby.root.mkdir()
    standby.sock.mkdir()
    if os.geteuid() == 0:
        import pwd
        pw = pwd.getpwnam("postgres")
        for p in (standby.root, standby.sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    subprocess.run(standby._as_owner(["pg_basebackup", "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast",
                                      "-h", str(postgres.sock), "-p", str(postgres.port), "-U", "postgres"]),
                   check=True, capture_output=True)
    standby.start()
    yield standby
    standby.stop()


def test_auth_through_read_only_replica(site, sorad_factory, postgres, database, replica):
    """[postgresql] readonly_conninfo with [auth-sql] use_replica: logins are
    verified on the standby, so they work while the primary is unreachable."""
    wait_for(lambda: replica.psql(database, "SELECT count(*) FROM credentials") == "2",
             what="the account to reach the replica")
    body = site.listeners() + "\n[auth-sql]\nuse_replica = yes\n"
    conf = site.config(body=body)
    conf.write_text(conf.read_text().replace(
        "pool_size = 4", f"pool_size = 4\nreadonly_conninfo = {replica.conninfo(database)}"))
    d = sorad_factory(conf).start()
    c = greet(site.port)
    assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"
    # Point the primary at a closed port: only the replica can answer now.
    conf.write_text(conf.read_text().replace(f"port={postgres.port} ", f"port={free_port()} ", 1))
    d.stop()
    d = sorad_factory(conf).start()
    assert "PostgreSQL is not reachable" in d.log()
    c = greet(site.port)
    assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"
    assert replica.psql(database, "SELECT pg_is_in_recovery()") == "t"


def test_service_manager_notifications(site, tmp_path):
    """With NOTIFY_SOCKET set (as systemd does for Type=notify), sorad says
    READY=1 once the workers listen, RELOADING=1 on SIGHUP and STOPPING=1."""
    if "HAVE_SYSTEMD 1" not in (BUILD / "config.h").read_text():
        pytest.fail("sorad was built without libsystemd: apt-get install libsystemd-dev")
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(15)
    env = dict(os.environ, NOTIFY_SOCKET=str(path))
    proc = subprocess.Popen([str(SORAD), "-c", str(site.config())], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def next_state(wanted):
            while True:
                msg = sock.recv(4096).decode()
                if wanted in msg.split("\n"):
                    return msg
        assert "READY=1" in next_state("READY=1")
        greet(site.port).close()  # listening by then
        proc.send_signal(signal.SIGHUP)
        next_state("RELOADING=1")
        next_state("READY=1")
        proc.send_signal(signal.SIGTERM)
        next_state("STOPPING=1")
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()


def test_second_daemon_on_the_same_port_is_refused_but_may_follow_a_stopping_one(site, sorad_factory):
    first = sorad_factory(site.config()).start()
    other_dir = site.dir / "other"
    other_dir.mkdir()
    text = site.config().read_text().replace(str(site.dir / "sorad.pid"), str(other_dir / "sorad.pid"))
    (other_dir / "sora.conf").write_text(text)
    clash = sorad_cmd("-c", other_dir / "sora.conf")
    assert clash.returncode == 1
    assert f"127.0.0.1:{site.port}: Address already in use" in clash.stdout + clash.stderr
    # While the first one drains a long command, its successor binds and serves.
    busy = greet(site.port)
    busy.sock.sendall(b"SLEEP 3000\r\n")
    time.sleep(0.2)
    first.signal(signal.SIGTERM)
    second = sorad_factory(other_dir / "sora.conf").start()
    c = greet(site.port)
    assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"
    assert busy.line() == "OK"  # the old session finished its command
    first.proc.wait(15)
    assert first.proc.returncode == 0
    second.stop()


def test_silent_client_is_disconnected_during_tls_handshake(site, sorad_factory):
    body = site.listeners().replace("tls = implicit\n", "tls = implicit\nread_timeout = 1s\n")
    sorad_factory(site.config(body=body)).start()
    with socket.create_connection(("127.0.0.1", site.tls_port), timeout=10) as s:
        t0 = time.monotonic()
        assert s.recv(100) == b""  # closed by the server, nothing sent
        assert time.monotonic() - t0 < 5


def test_workers_stop_when_the_supervisor_is_killed(site, sorad_factory):
    d = sorad_factory(site.config()).start()
    workers = d.workers()
    assert len(workers) == 2
    d.proc.kill()
    d.proc.wait()

    def gone(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split()[2] == "Z"  # exited, not yet reaped
        except FileNotFoundError:
            return True
    wait_for(lambda: all(gone(p) for p in workers), timeout=15, what="orphaned workers to exit")
    # The port is free for a new sorad.
    sorad_factory(site.config()).start()
    c = greet(site.port)
    assert login(c, "alice@example.org", PASSWORD) == "OK alice@example.org"
