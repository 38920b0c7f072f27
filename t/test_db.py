"""The PostgreSQL layer's own tests (src/libsora-db/db-test.cc, cmocka) against
a fresh database of the private cluster of conftest.py.

db-test is a check_PROGRAMS target: `make check` builds it. It is not in
TESTS because it needs a live server, which only this suite provides.
"""
import os
import subprocess

import pytest

from conftest import BUILD

DB_TEST = BUILD / "src" / "libsora-db" / "db-test"


def test_db_test_program(postgres, database):
    if not DB_TEST.exists():
        pytest.fail(f"{DB_TEST} is missing: run `make check` (or `make src/libsora-db/db-test`) "
                    "to build it")
    env = dict(os.environ, SORA_TEST_CONNINFO=postgres.conninfo(database))
    proc = subprocess.run([str(DB_TEST)], env=env, capture_output=True, text=True, timeout=300)
    # 77 would be automake's SKIP: the program did not see the database.
    assert proc.returncode == 0, (f"db-test exited {proc.returncode}\n--- stdout\n{proc.stdout}"
                                  f"--- stderr\n{proc.stderr}")
