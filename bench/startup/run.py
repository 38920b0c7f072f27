#!/usr/bin/env python3
"""bench/startup: how fast sorad starts and how small an idle worker is.

Prints, for sorad built in this tree with every built module loaded:
  - the time from exec to the first accepted connection (a listener answering
    its greeting), median and spread over several starts;
  - the resident memory (VmRSS) and the private memory (Pss from smaps_rollup)
    of an idle worker and of the supervisor.
Figures only; nothing here passes or fails. Aims: < 100 ms, < 20 MB.

Usage: bench/startup/run.py [--builddir DIR] [--runs N]
It starts a private PostgreSQL cluster on loopback and stops it at the end.
"""
import argparse
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "t"))
import conftest  # noqa: E402  (the test harness's Postgres and config writer)


def mem_kb(pid, field, path="status"):
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def wait_greeting(port, deadline):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.001)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", default=os.environ.get("SORA_BUILDDIR", str(HERE.parent.parent)))
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    build = pathlib.Path(args.builddir)
    sorad = build / "src" / "sorad" / ".libs" / "sorad"
    if not sorad.exists():
        sorad = build / "src" / "sorad" / "sorad"
    root = pathlib.Path(tempfile.mkdtemp(prefix="sora-bench-startup-"))
    os.chmod(root, 0o755)
    pg = conftest.Postgres(root / "pg")
    pg.init()
    pg.start()
    try:
        db = pg.create_database()
        modules = root / "modules"
        modules.mkdir()
        names = []
        for pattern in ("modules/*/.libs/*.so", "t/modules/*/.libs/*.so"):
            for so in build.glob(pattern):
                (modules / so.name).symlink_to(so)
                names.append(so.stem)
        if "proto-authtest" not in names:
            sys.exit("bench/startup needs the test protocol module: run `make check` once first")
        port = conftest.free_port()
        conf = conftest.write_config(root / "sora.conf", pg, db, modules, modules=names, body=f"""
[listener bench]
protocol = authtest
address = 127.0.0.1:{port}
""")
        text = conf.read_text().replace("workers = 2", "workers = 1").replace("log_level = debug",
                                                                              "log_level = warning")
        conf.write_text(text)
        admin = build / "src" / "sora-admin" / "sora-admin"
        subprocess.run([str(admin), "--config", str(conf), "db", "migrate"], check=True,
                       stdout=subprocess.DEVNULL)
        env = dict(os.environ, LD_LIBRARY_PATH=str(build / "src" / ".libs"))
        times = []
        rss = {}
        for i in range(args.runs):
            t0 = time.monotonic()
            proc = subprocess.Popen([str(sorad), "-c", str(conf)], env=env, stderr=subprocess.DEVNULL)
            ok = wait_greeting(port, t0 + 10)
            elapsed = (time.monotonic() - t0) * 1000
            if not ok:
                proc.kill()
                sys.exit("sorad did not accept a connection within 10 s")
            times.append(elapsed)
            if i == args.runs - 1:
                time.sleep(0.5)
                with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                    workers = [int(p) for p in f.read().split()]
                rss["supervisor"] = (mem_kb(proc.pid, "VmRSS"), mem_kb(proc.pid, "Pss", "smaps_rollup"))
                if workers:
                    w = workers[0]
                    rss["worker"] = (mem_kb(w, "VmRSS"), mem_kb(w, "Pss", "smaps_rollup"))
            proc.terminate()
            proc.wait(20)
        print(f"sorad startup, exec to first accepted connection, {args.runs} runs, "
              f"{len(names)} modules ({', '.join(sorted(names))}):")
        print(f"  median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, "
              f"max {max(times):.1f} ms   (aim: < 100 ms)")
        for who, (vmrss, pss) in rss.items():
            print(f"  idle {who}: RSS {vmrss / 1024:.1f} MB, PSS {pss / 1024:.1f} MB   (aim: < 20 MB)")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
