#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run it.
# System packages: Dovecot (real IMAP server), PostgreSQL (throwaway clusters via initdb) and
# the libraries WeasyPrint renders PDFs with.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v dovecot >/dev/null 2>&1 || need_apt+=(dovecot-imapd)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
# WeasyPrint (PDF letters and reports) renders with Pango and subsets fonts with HarfBuzz.
for lib in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
  dpkg -s "$lib" >/dev/null 2>&1 || need_apt+=("$lib")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache  # the layer rules (.importlinter)
# Two test processes (the CI machine has 2 cores; most of the suite waits on real servers and
# subprocesses). A file's tests stay in one process, so module fixtures (the demo run, the seed
# reports) are built once. LOKET_TEST_WORKERS=0 runs everything in this process.
exec .venv/bin/python -m pytest -n "${LOKET_TEST_WORKERS:-2}" --dist loadfile "$@"
