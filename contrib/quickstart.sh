#!/bin/bash
# Sora quick start for a fresh Debian 12 machine, run as root from a checkout.
#
#   contrib/quickstart.sh run    install dependencies, build, start a private
#                                PostgreSQL under _run/, migrate it, create a
#                                demo account and run sorad in the foreground
#   contrib/quickstart.sh test   install dependencies, build with warnings as
#                                errors and run every test (make check)
#
# Nothing is started as a system service: PostgreSQL runs from _run/pg as the
# postgres user and stops when sorad stops.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Debian packages: build, libraries, and the real peers the tests use.
BUILD_PACKAGES="autoconf automake libtool pkg-config make g++ clang-14 libclang-rt-14-dev
  libuv1-dev libssl-dev libpq-dev libinih-dev libjansson-dev libcmocka-dev libcrypt-dev
  libsystemd-dev libzstd-dev libxml2-dev libcurl4-openssl-dev
  postgresql-15 postgresql-client-15 openssl ca-certificates"
TEST_PACKAGES="python3 python3-pytest man-db groff-base procps iproute2 dovecot-core
  postfix"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

install_packages() {
  local missing=()
  for p in $BUILD_PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}; run as root or install them" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  # Keep Debian from starting PostgreSQL or Dovecot as system services while
  # installing: Sora's scripts and tests run private instances.
  local made_policy=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=yes
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Postfix asks how to configure itself: not at all, the tests run their own.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$made_policy" = yes ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

build() {
  say "building Sora"
  [ -x configure ] || autoreconf -fi >/dev/null
  if [ ! -f Makefile ] || [ configure -nt config.status ]; then
    ./configure -q --enable-werror "$@"
  fi
  make -j"$(nproc)" >/dev/null
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

run() {
  install_packages
  build
  # Global, not local: the EXIT trap that stops PostgreSQL needs them.
  run_dir="$top/_run" port=${SORA_PG_PORT:-25432} sasl_port=${SORA_SASL_PORT:-12345}
  pg="$run_dir/pg" sock="$run_dir/pg-sock" pgbin=/usr/lib/postgresql/15/bin
  mkdir -p "$run_dir/modules" "$sock"
  if [ ! -f "$pg/PG_VERSION" ]; then
    say "creating a private PostgreSQL cluster in $pg"
    mkdir -p "$pg"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pg" "$sock" && chmod 755 "$run_dir"
    pg_as_owner "$pgbin/initdb" -D "$pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  say "starting PostgreSQL on $sock port $port"
  pg_as_owner "$pgbin/pg_ctl" -D "$pg" -l "$pg/postgresql.log" -w \
    -o "-k $sock -p $port -c listen_addresses=''" start >/dev/null
  trap 'pg_as_owner "$pgbin/pg_ctl" -D "$pg" -m fast -w stop >/dev/null' EXIT
  psql -X -q -h "$sock" -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'sora'" | grep -q 1 ||
    psql -X -q -h "$sock" -p "$port" -U postgres -d postgres -c "CREATE DATABASE sora"

  for so in "$top"/modules/*/.libs/*.so; do ln -sf "$so" "$run_dir/modules/"; done
  cat > "$run_dir/sora.conf" <<EOF
; Made by contrib/quickstart.sh; see etc/sora.conf for every key.
[core]
modules = auth-sql proto-sasl
module_dir = $run_dir/modules
workers = 2
pid_file = $run_dir/sorad.pid

; Postfix SMTP AUTH against Sora's accounts (see sora-proto-sasl(8)).
[listener sasl]
protocol = sasl
address = 127.0.0.1:$sasl_port

[postgresql]
conninfo = host=$sock port=$port user=postgres dbname=sora
EOF
  say "migrating the database"
  src/sora-admin/sora-admin --config "$run_dir/sora.conf" db migrate
  if ! src/sora-admin/sora-admin --config "$run_dir/sora.conf" accounts show demo@example.org >/dev/null 2>&1; then
    echo "demo-password" | src/sora-admin/sora-admin --config "$run_dir/sora.conf" \
      accounts create demo@example.org --name "Demo User" --password-stdin
  fi
  cat <<EOF

Sora is starting with the configuration $run_dir/sora.conf.
  PostgreSQL:  psql -h $sock -p $port -U postgres sora
  Accounts:    src/sora-admin/sora-admin --config $run_dir/sora.conf accounts list
  Demo login:  demo@example.org / demo-password
  Config:      src/sorad/sorad -c $run_dir/sora.conf -n
  SMTP AUTH:   Postfix main.cf: smtpd_sasl_auth_enable = yes
                                smtpd_sasl_type = dovecot
                                smtpd_sasl_path = inet:127.0.0.1:$sasl_port
This release is the foundation: sorad loads its modules, checks the schema and
authenticates against PostgreSQL (here for Postfix SMTP AUTH); the IMAP, POP3
and LMTP listeners arrive with their modules. Stop with Ctrl-C.

EOF
  src/sorad/sorad -c "$run_dir/sora.conf"
}

test_all() {
  install_packages $TEST_PACKAGES
  build "$@"
  say "running the tests"
  make -j"$(nproc)" check VERBOSE=1
  say "all tests passed"
}

case "${1:-}" in
  run) run ;;
  test) shift; test_all "$@" ;;
  *) echo "usage: $0 run|test" >&2; exit 64 ;;
esac
