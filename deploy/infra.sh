#!/usr/bin/env bash
# Local infrastructure: make PostgreSQL and RabbitMQ answer on 127.0.0.1.
# Uses them when they already answer; otherwise, on Debian, installs the packages when missing
# and starts them (apt does not). Idempotent and quiet when everything is there.
# When PostgreSQL asks for a password, a role "portail" is created and its DSN written to
# var/portail.env (read by every service's settings).
set -euo pipefail

cd "$(dirname "$0")/.."
ENV_FILE=var/portail.env
mkdir -p var

say() { printf 'infra: %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port seconds what
    local i
    for ((i = 0; i < $2 * 4; i++)); do port_open "$1" && return 0; sleep 0.25; done
    say "$3 did not answer on 127.0.0.1:$1 after $2 s"; return 1
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
APT_UPDATED=
apt_install() {
    command -v apt-get >/dev/null || { say "cannot install $* (no apt-get): install it yourself"; return 1; }
    say "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y -qq "$@" >/dev/null 2>&1; then
        [ -n "$APT_UPDATED" ] || { as_root apt-get update -qq >/dev/null; APT_UPDATED=1; }
        as_root apt-get install -y -qq "$@" >/dev/null
    fi
}

postgres() {
    if ! port_open 5432; then
        command -v pg_ctlcluster >/dev/null || apt_install postgresql
        if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
            local version
            version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
            say "creating PostgreSQL cluster $version/main"
            as_root pg_createcluster "$version" main >/dev/null
        fi
        pg_lsclusters -h | while read -r version cluster _; do
            say "starting PostgreSQL $version/$cluster"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start || true
        done
        wait_port 5432 60 PostgreSQL
    fi
    # Which credentials work? An explicit PORTAIL_PG_DSN wins; then trust; then our own role.
    command -v psql >/dev/null || apt_install postgresql-client
    local dsn=${PORTAIL_PG_DSN:-}
    if [ -z "$dsn" ] && [ -f "$ENV_FILE" ]; then
        dsn=$(sed -n 's/^PORTAIL_PG_DSN=//p' "$ENV_FILE")
    fi
    if [ -n "$dsn" ] && psql "$dsn" -w -qtAc 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    if psql "postgresql://postgres@127.0.0.1:5432/postgres" -w -qtAc 'SELECT 1' >/dev/null 2>&1; then
        [ -f "$ENV_FILE" ] && sed -i '/^PORTAIL_PG_DSN=/d' "$ENV_FILE"
        return 0
    fi
    say "PostgreSQL asks for a password: creating role portail"
    local password
    password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
    as_root su postgres -c "psql -qtAc \"DO \\\$\\\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portail') THEN
            CREATE ROLE portail LOGIN CREATEDB;
        END IF; END \\\$\\\$; ALTER ROLE portail PASSWORD '$password';\"" >/dev/null
    touch "$ENV_FILE"; chmod 600 "$ENV_FILE"
    sed -i '/^PORTAIL_PG_DSN=/d' "$ENV_FILE"
    echo "PORTAIL_PG_DSN=postgresql://portail:$password@127.0.0.1:5432/postgres" >>"$ENV_FILE"
    psql "postgresql://portail:$password@127.0.0.1:5432/postgres" -w -qtAc 'SELECT 1' >/dev/null
}

# Test runs name their queues test_<run>_…; a run that is killed leaves them behind, and every
# classic queue holds file handles. A policy deletes such a queue once unused for 10 minutes
# (no consumer, not declared again), so stopped runs never exhaust the broker's handles.
# Only where this machine's broker is ours to configure (root, the local rabbitmqctl).
rabbitmq_test_policy() {
    [ "$(id -u)" = 0 ] && command -v rabbitmqctl >/dev/null || return 0
    rabbitmqctl -q set_policy --apply-to queues --priority 0 portail-test-queues '^test_' \
        '{"expires":600000}' >/dev/null 2>&1 || true
}

rabbitmq() {
    port_open 5672 && { rabbitmq_test_policy; return 0; }
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    say "starting RabbitMQ"
    # The package's wrapper starts the broker through su, whose PAM session drops the
    # open-file limit to 1024; RabbitMQ's file handle cache then stops accepting new
    # connections once ~900 handles are in use (every classic queue holds some). As root,
    # start it as its own user with the hard limit instead.
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
        local files
        files=$(ulimit -Hn); [ "$files" = unlimited ] && files=65536
        (cd /var/lib/rabbitmq && ulimit -n "$files" && HOME=/var/lib/rabbitmq \
            setpriv --reuid rabbitmq --regid rabbitmq --init-groups \
            /usr/lib/rabbitmq/bin/rabbitmq-server -detached) >/dev/null 2>&1 || true
    else
        as_root rabbitmq-server -detached >/dev/null 2>&1 || true
    fi
    wait_port 5672 90 RabbitMQ
    # The port opens slightly before the broker accepts connections.
    as_root rabbitmqctl await_startup >/dev/null 2>&1 || sleep 2
    rabbitmq_test_policy
}

chromium() {
    [ -x /usr/bin/chromium ] || apt_install chromium
}

# WeasyPrint (billing's PDFs) loads Pango, its FreeType backend and HarfBuzz's subsetter
# (fonts embedded in PDFs are subset) through ctypes: the Debian packages its docs name.
documents() {
    local missing=0 lib
    for lib in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0; do
        ldconfig -p 2>/dev/null | grep -q "$lib" || missing=1
    done
    [ "$missing" = 0 ] || apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
}

python_venv() {
    python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || apt_install python3
    python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null \
        || apt_install python3-venv
}

for what in "${@:-postgres rabbitmq}"; do
    for step in $what; do "$step"; done
done
