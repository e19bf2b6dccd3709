#!/usr/bin/env bash
# Run a command (the test suite) with the servers the tests need, on loopback only.
#
#   bash scripts/with-test-services.sh .venv/bin/python -m pytest
#
# - Installs PostgreSQL and redis-server (Debian packages) when missing.
# - Starts PostgreSQL 15 on 127.0.0.1 when it is not running, and creates a
#   throwaway role and database; exports DNA_TEST_POSTGRES_URL for the tests,
#   which create and drop databases of their own with that role.
# - Exports DNA_TEST_REQUIRE_SERVICES=1: a test whose server is missing then
#   fails instead of skipping.  The tests start redis-server and scrapyd
#   themselves, on free loopback ports.
# - On exit, drops what it created and stops what it started.
set -euo pipefail

PG_VERSION=15
PG_CLUSTER=main
PG_PORT=5432

need_packages=()
command -v redis-server >/dev/null || need_packages+=(redis-server)
started_postgres=0
if [ ! -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ]; then
    need_packages+=(postgresql)
    started_postgres=1  # if installing starts it, it is ours to stop
fi
if [ ${#need_packages[@]} -gt 0 ]; then
    echo "Installing ${need_packages[*]} for the tests…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

as_postgres() { runuser -u postgres -- "$@"; }
psql_admin() { as_postgres psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qAt "$@"; }

# Read the whole listing first: with pipefail, `grep -q` closing the pipe early
# fails the pipeline, and a running server was taken for a stopped one (and
# stopped at the end, under whoever else was using it).
cluster_status="$(pg_lsclusters -h "$PG_VERSION" "$PG_CLUSTER")"
if [[ "$cluster_status" != *online* ]]; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start -- \
        -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT"
    started_postgres=1
fi

role="dna_test_$$_$RANDOM"
password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"

cleanup() {
    # Databases the tests left behind (a crashed run) go with the role.
    for database in $(psql_admin -d postgres -c \
        "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
         WHERE r.rolname = '$role'" 2>/dev/null); do
        psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" || true
    done
    psql_admin -d postgres -c "DROP ROLE IF EXISTS $role" || true
    if [ "$started_postgres" = 1 ]; then
        pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop || true
    fi
}
trap cleanup EXIT

# The server may take a moment to accept connections after start.
for _ in $(seq 50); do
    psql_admin -d postgres -c "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.2
done
psql_admin -d postgres -c "CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password'"
psql_admin -d postgres -c "CREATE DATABASE $role OWNER $role"

export DNA_TEST_POSTGRES_URL="postgresql+psycopg://$role:$password@127.0.0.1:$PG_PORT/$role"
export DNA_TEST_REQUIRE_SERVICES=1
"$@"
