# Shared set-up steps for scripts/demo.sh and scripts/test.sh (sourced, not run).
# Everything is idempotent: a second run on a ready machine does almost nothing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

# Qt 6 (xcb/offscreen), QtMultimedia (pulse), speech (espeak-ng), CJK fonts for
# screenshots that show Chinese, and python3-venv for a fresh Debian's Python.
SYSTEM_PACKAGES=(libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libpulse0 espeak-ng fonts-noto-cjk)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_system_packages() {
  local missing=() p
  local wanted=("${SYSTEM_PACKAGES[@]}" "$@")
  command -v python3 >/dev/null || wanted+=(python3)
  python3 -c 'import ensurepip, venv' 2>/dev/null || wanted+=(python3-venv)
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_venv() {
  local extras="$1" stamp="$VENV/.installed-$1"
  local want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    python3 -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing the project and its Python packages"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    if [ -n "$extras" ] && [ "$extras" != base ]; then
      "$VENV/bin/python" -m pip install -q -e "$ROOT[$extras]"
    else
      "$VENV/bin/python" -m pip install -q -e "$ROOT"
    fi
    echo "$want" > "$stamp"
  fi
}

mysql_tcp_ok() {  # user [password]: can we log in over TCP to 127.0.0.1:3306?
  "$VENV/bin/python" - "$@" <<'PY' 2>/dev/null
import sys, pymysql
try:
    pymysql.connect(host="127.0.0.1", port=3306, user=sys.argv[1],
                    password=sys.argv[2] if len(sys.argv) > 2 else "", connect_timeout=3).close()
except Exception:
    sys.exit(1)
PY
}

port_open() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }

ensure_mysql() {
  # The tests need a real MySQL-compatible server. Use the one at 127.0.0.1:3306 if it
  # answers; otherwise start the installed MariaDB, or install it first.
  if [ -n "${AGENT_TEST_MYSQL_URL:-}" ]; then return; fi
  if ! port_open; then
    if [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then
      say "installing mariadb-server"
      as_root apt-get update -qq
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq mariadb-server >/dev/null
    fi
    say "starting MariaDB"
    as_root mkdir -p /run/mysqld
    as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
    if [ ! -d /var/lib/mysql/mysql ]; then
      as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null 2>&1 || true
    fi
    local daemon=/usr/sbin/mariadbd; [ -x "$daemon" ] || daemon=/usr/sbin/mysqld
    as_root start-stop-daemon --start --oknodo --background --exec "$daemon" -- --user=mysql \
      || as_root service mariadb start || true
    for _ in $(seq 60); do port_open && break; sleep 1; done
    port_open || { echo "MariaDB did not start on 127.0.0.1:3306" >&2; exit 1; }
  fi
  if mysql_tcp_ok root; then
    export AGENT_TEST_MYSQL_URL="mysql+pymysql://root@127.0.0.1:3306"
    return
  fi
  # A fresh Debian install lets root in only over the unix socket: make a test account.
  if mysql_tcp_ok agent_test agent_test; then :; else
    say "creating the MariaDB account agent_test for the tests"
    as_root mariadb -uroot -e "CREATE USER IF NOT EXISTS 'agent_test'@'127.0.0.1' IDENTIFIED BY 'agent_test';
      CREATE USER IF NOT EXISTS 'agent_test'@'localhost' IDENTIFIED BY 'agent_test';
      GRANT ALL PRIVILEGES ON *.* TO 'agent_test'@'127.0.0.1';
      GRANT ALL PRIVILEGES ON *.* TO 'agent_test'@'localhost'; FLUSH PRIVILEGES;"
  fi
  export AGENT_TEST_MYSQL_URL="mysql+pymysql://agent_test:agent_test@127.0.0.1:3306"
}
