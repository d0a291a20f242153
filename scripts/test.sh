#!/usr/bin/env bash
# The whole test suite, with all its set-up, on a fresh Debian machine (or this one):
#   bash scripts/test.sh            (extra arguments go to pytest)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
# xdotool/imagemagick: tests/e2e type into the real windows and photograph failures;
# nsis: makensis for tests/packaging/test_nsis.py; galera-4, rsync: tests/cluster starts a
# Galera cluster of MariaDB nodes (rsync copies the data to a joining node)
ensure_system_packages xvfb xdotool imagemagick openssl nsis galera-4 rsync
ensure_venv test
ensure_mysql
export QT_QPA_PLATFORM=offscreen
export PYTHONDONTWRITEBYTECODE=1
say "running the tests (MySQL: ${AGENT_TEST_MYSQL_URL%%@*}@…)"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
