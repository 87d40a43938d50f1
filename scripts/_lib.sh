# Shared by scripts/demo and scripts/test (sourced, not run). Bash only.
# Creates .venv on first use and re-installs only when pyproject.toml changed, so a second run is fast.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[1;31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }

find_python() {
    # The first interpreter that is Python 3.11 or newer (pyenv shims first, as they come on PATH).
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# ensure_venv EXTRA: .venv exists and holds the project installed (editable) with the given extra.
# A stamp per extra records the pyproject.toml it was installed from; "dev" includes every other extra.
ensure_venv() {
    local extra="$1" digest stamp python
    if [ -e "$VENV" ] && [ ! -d "$VENV" ]; then
        fail "setup: .venv is a file (a PEP 832 redirect written by another tool?): remove it and run again"
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        python="$(find_python)" || fail "setup: no Python >= 3.11 found (set PYTHON=/path/to/python3.11)"
        say "setup: creating .venv with $python ($("$python" --version 2>&1))"
        "$python" -m venv "$VENV" || fail "setup: could not create .venv"
    fi
    digest="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
    for stamp in "$VENV/.gaia-installed-$extra" "$VENV/.gaia-installed-dev"; do
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
            return 0
        fi
    done
    say "setup: pip install -e '.[$extra]' (first run or pyproject.toml changed)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
        || fail "setup: could not upgrade pip in .venv"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[$extra]" \
        || fail "setup: pip install -e '.[$extra]' failed"
    echo "$digest" >"$VENV/.gaia-installed-$extra"
}

postgres_ready() {
    command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432
}

# Let the local clients in as "postgres" without a password, as on the development and CI machines.
# Only for a cluster this script installed itself: an existing installation's auth is left alone.
_trust_local_connections() {
    local hba
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        [ -f "$hba" ] || continue
        sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    done
}

# ensure_postgres: PostgreSQL accepting connections at 127.0.0.1:5432, if at all possible here.
ensure_postgres() {
    postgres_ready && return 0
    local installed_now=0 version
    if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            say "postgres: not installed; apt-get install -y postgresql"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -q </dev/null >/dev/null && apt-get install -y -q postgresql </dev/null >/dev/null \
                || fail "postgres: apt-get install postgresql failed"
            installed_now=1
            _trust_local_connections
        else
            say "postgres: not installed and not root: integration tests on PostgreSQL will skip (or fail in CI)"
            return 0
        fi
    fi
    for version in $(ls /etc/postgresql); do
        if pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1; then
            # running already (apt may start it): pick up the pg_hba.conf change
            [ "$installed_now" = 1 ] && pg_ctlcluster --skip-systemctl-redirect "$version" main reload </dev/null
        else
            say "postgres: starting cluster $version/main"
            pg_ctlcluster --skip-systemctl-redirect "$version" main start </dev/null \
                || say "postgres: could not start cluster $version/main"
        fi
    done
    for _ in $(seq 1 30); do
        postgres_ready && return 0
        sleep 1
    done
    fail "postgres: installed but not accepting connections at 127.0.0.1:5432 after 30 s"
}
