"""Shared fixtures of Sora's integration tests.

Everything here is real: a private PostgreSQL 15 cluster made with initdb in a
temporary folder, the sorad and sora-admin built in this tree, modules loaded
from the build, certificates made by the openssl command. Nothing is mocked.

SORA_SRCDIR and SORA_BUILDDIR name the trees (both default to the checkout);
`make check` sets them through t/run-pytest.
"""
import os
import pathlib
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

SRC = pathlib.Path(os.environ.get("SORA_SRCDIR", pathlib.Path(__file__).resolve().parent.parent))
BUILD = pathlib.Path(os.environ.get("SORA_BUILDDIR", SRC))
SORAD = BUILD / "src" / "sorad" / "sorad"
ADMIN = BUILD / "src" / "sora-admin" / "sora-admin"
PGBIN = pathlib.Path("/usr/lib/postgresql/15/bin")
IS_ROOT = os.geteuid() == 0

# The migrations this build knows, from sql/NNNN-name.sql: (version, name).
MIGRATIONS = sorted((int(p.name[:4]), p.name[5:-4]) for p in (SRC / "sql").glob("[0-9]*.sql"))
LATEST = MIGRATIONS[-1][0]


def pytest_configure(config):
    # make check runs one pytest per test file, in parallel: each needs a
    # temporary tree of its own, or pytest's clean-up of old numbered trees
    # in one process removes folders another is using.
    if not config.option.basetemp:
        import tempfile
        config.option.basetemp = tempfile.mkdtemp(prefix="sora-test-")
        config._sora_own_basetemp = config.option.basetemp


def pytest_unconfigure(config):
    # The tree holds a PostgreSQL cluster and logs: remove it once the run is
    # over, or every run leaves hundreds of megabytes behind (set
    # SORA_KEEP_TMP=1 to keep it for a post-mortem).
    own = getattr(config, "_sora_own_basetemp", None)
    if own and not os.environ.get("SORA_KEEP_TMP"):
        import shutil
        shutil.rmtree(own, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Postgres:
    """A private PostgreSQL cluster: initdb, pg_ctl start/stop, createdb."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        self.data = root / "data"
        self.sock = root / "sock"
        self.port = free_port()
        self.counter = 0

    def _as_owner(self, argv):
        # initdb and postgres refuse to run as root: use the postgres account.
        if IS_ROOT:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def init(self):
        self.root.mkdir(parents=True, exist_ok=True)
        self.sock.mkdir(exist_ok=True)
        if IS_ROOT:
            pw = pwd.getpwnam("postgres")
            for p in (self.root, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        subprocess.run(self._as_owner([str(PGBIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                                       "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                                       "--wal-segsize=1"]),
                       check=True, stdout=subprocess.DEVNULL)

    def start(self):
        opts = (f"-k {self.sock} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                # Keep the WAL small: a test run creates a database per
                # test, and PostgreSQL 15 logs each new database into WAL.
                "-c min_wal_size=4MB "
                "-c max_wal_size=32MB")
        subprocess.run(self._as_owner([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-l",
                                       str(self.root / "server.log"), "-w", "-o", opts, "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(self._as_owner([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                                       "-w", "stop"]), check=False, stdout=subprocess.DEVNULL)

    def conninfo(self, dbname):
        return f"host={self.sock} port={self.port} user=postgres dbname={dbname}"

    def psql(self, dbname, sql):
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              "-h", str(self.sock), "-p", str(self.port), "-U", "postgres",
                              "-d", dbname, "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def create_database(self):
        self.counter += 1
        name = f"sora_t{self.counter}"
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name):
        # WITH (FORCE) ends sessions a test left open (a sorad still stopping).
        subprocess.run(["psql", "-X", "-q", "-h", str(self.sock), "-p", str(self.port),
                        "-U", "postgres", "-d", "postgres", "-c",
                        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       check=False, capture_output=True)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    if not (PGBIN / "initdb").exists():
        pytest.fail(f"{PGBIN}/initdb is missing: apt-get install postgresql-15")
    root = tmp_path_factory.mktemp("pg")
    if IS_ROOT:
        # The postgres account must reach the cluster through pytest's folders.
        for parent in [root] + list(root.parents):
            if str(parent) in ("/", "/tmp"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o711)
    pg = Postgres(root)
    pg.init()
    pg.start()
    yield pg
    pg.stop()


@pytest.fixture
def database(postgres):
    """A fresh, empty database: returns its name; dropped after the test."""
    name = postgres.create_database()
    yield name
    postgres.drop_database(name)


@pytest.fixture(scope="session")
def module_dir(tmp_path_factory):
    """A folder holding every module built in this tree, the test-only ones too."""
    d = tmp_path_factory.mktemp("modules")
    found = []
    for pattern in ("modules/*/.libs/*.so", "t/modules/*/.libs/*.so"):
        for so in BUILD.glob(pattern):
            (d / so.name).symlink_to(so)
            found.append(so.name)
    if "auth-sql.so" not in found:
        pytest.fail(f"no modules built under {BUILD}: run make first")
    return d


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost: (cert_file, key_file)."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def run_admin(config, *args, input=None, check=False):
    """Runs sora-admin with --config; returns the CompletedProcess (text)."""
    proc = subprocess.run([str(ADMIN), "--config", str(config), *args], input=input,
                          capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"sora-admin {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def write_config(path, postgres, dbname, module_dir, modules=("auth-sql",), body=""):
    """Writes a sora.conf for the tests and returns its path."""
    path = pathlib.Path(path)
    text = f"""
[core]
modules = {' '.join(modules)}
module_dir = {module_dir}
workers = 2
pid_file = {path.parent / 'sorad.pid'}
shutdown_timeout = 5s
worker_restart_delay = 200ms
log_level = debug

[postgresql]
conninfo = {postgres.conninfo(dbname)}
pool_size = 4
connect_timeout = 2s
reconnect_backoff_min = 50ms
reconnect_backoff_max = 500ms

[auth]
bcrypt_cost = 4
failure_delay = 0
""" + body
    path.write_text(text)
    return path


class Sorad:
    """A running sorad: its process, its log, its workers."""

    def __init__(self, config):
        self.config = pathlib.Path(config)
        self.log_path = self.config.parent / "sorad.log"
        self.proc = None
        self._log_offset = 0

    def start(self, wait_ready=True):
        self.log_file = open(self.log_path, "ab")
        self._log_offset = self.log_path.stat().st_size
        self.proc = subprocess.Popen([str(SORAD), "-c", str(self.config)], stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        if wait_ready:
            self.wait_log("ready:", what="sorad to be ready")
        return self

    def log(self):
        return self.log_path.read_text(errors="replace")[self._log_offset:]

    def wait_log(self, text, timeout=15.0, what=None):
        def seen():
            if text in self.log():
                return True
            if self.proc.poll() is not None:
                raise AssertionError(f"sorad exited ({self.proc.returncode}) before logging {text!r}:\n"
                                     + self.log())
            return False
        wait_for(seen, timeout, what or f"{text!r} in the log")

    def workers(self):
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except FileNotFoundError:
            return []

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("sorad did not stop on SIGTERM:\n" + self.log())
        if self.proc:
            self.log_file.close()
        return self.proc.returncode if self.proc else None


@pytest.fixture
def sorad_factory():
    started = []

    def make(config):
        s = Sorad(config)
        started.append(s)
        return s

    yield make
    for s in started:
        if s.proc and s.proc.poll() is None:
            workers = s.workers()  # before the supervisor goes with its /proc entry
            s.proc.kill()
            s.proc.wait()
            for pid in workers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


class LineClient:
    """A client of the test-only authtest protocol, with optional TLS."""

    def __init__(self, port, host="127.0.0.1", implicit_tls=False, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if implicit_tls:
            self.sock = self.tls_context().wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""

    @staticmethod
    def tls_context():
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def starttls(self):
        self.sock = self.tls_context().wrap_socket(self.sock, server_hostname="localhost")

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("server closed the connection; had: %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def command(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.line()

    def close(self):
        self.sock.close()
