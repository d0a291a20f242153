#!/usr/bin/env bash
# The demo, with all its set-up: embedded SQLite with demo data, the built-in CTI server
# with its simulated switch, and the main window logged in as a demo agent.
#   bash scripts/demo.sh            (extra arguments go to agent-app)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_system_packages
ensure_venv base
exec "$VENV/bin/agent-app" --demo "$@"
