#!/usr/bin/env bash
# The PyInstaller one-folder build of installer/agent-desk.spec on this machine (the Linux
# variant of the folder the Windows installer wraps), then a smoke test of what it built:
#   bash scripts/build-installer.sh [--dist DIR] [--work DIR] [--no-setup] [--no-smoke]
# --dist (default dist/) receives agent-desk/ with agent-app, agent-ctid and agent-admin;
# --work (default build/pyinstaller) holds PyInstaller's work files, reused by the next
# build. --no-setup skips the system packages and the venv (tests/packaging, already in
# it). The smoke test: agent-admin --help, agent-ctid --help, agent-admin init-db on a
# SQLite file in a temporary AGENT_DESK_HOME, then agent-app --smoke-test --lang zh_CN
# offscreen, which exits 0 once the login dialog shows translated and styled.
# A Windows build cannot be made here: see README.md, "Installing at a site".
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DIST="$ROOT/dist" WORK="$ROOT/build/pyinstaller" SETUP=1 SMOKE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) DIST="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --no-setup) SETUP=0; shift ;;
    --no-smoke) SMOKE=0; shift ;;
    *) echo "usage: $0 [--dist DIR] [--work DIR] [--no-setup] [--no-smoke]" >&2; exit 2 ;;
  esac
done

if [ "$SETUP" = 1 ]; then
  ensure_system_packages  # Qt's libraries: the smoke test starts the frozen agent-app
  ensure_venv build       # the project and pyinstaller (pyproject's build extra)
fi
"$VENV/bin/python" -c "import PyInstaller" 2>/dev/null \
  || { echo "pyinstaller is not in $VENV: run without --no-setup" >&2; exit 1; }

say "PyInstaller: installer/agent-desk.spec -> $DIST/agent-desk (log: $WORK/pyinstaller.log)"
mkdir -p "$WORK"
t0=$SECONDS
if ! "$VENV/bin/python" -m PyInstaller --noconfirm --log-level INFO --distpath "$DIST" \
     --workpath "$WORK" installer/agent-desk.spec >"$WORK/pyinstaller.log" 2>&1; then
  tail -40 "$WORK/pyinstaller.log" >&2
  exit 1
fi
echo "build: $DIST/agent-desk in $((SECONDS - t0)) s"
[ "$SMOKE" = 1 ] || exit 0

say "smoke test of $DIST/agent-desk"
t0=$SECONDS
APP="$DIST/agent-desk"
SMOKE_HOME="$(mktemp -d)"
trap 'rm -rf "$SMOKE_HOME"' EXIT
"$APP/agent-admin" --help | head -1
"$APP/agent-ctid" --help | head -1
# the file agent-app opens by default (the embedded SQLite database below AGENT_DESK_HOME)
AGENT_DESK_HOME="$SMOKE_HOME" "$APP/agent-admin" init-db --url "sqlite:///$SMOKE_HOME/agent-desk.sqlite3"
AGENT_DESK_HOME="$SMOKE_HOME" QT_QPA_PLATFORM=offscreen \
  timeout 120 "$APP/agent-app" --smoke-test --lang zh_CN
echo "smoke: passed in $((SECONDS - t0)) s"
