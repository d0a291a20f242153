#!/usr/bin/env bash
# Development only, before the first release: rebuild the single initial migration from the
# models. (After a release, schema changes get new migration files instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/agent-desk-regen.lock
flock 9
tmp="$(mktemp -d)"
cp db/migrations/versions/0001_initial_schema.py "$tmp/old.py"
rm db/migrations/versions/0001_initial_schema.py
if ! .venv/bin/python - "$tmp/gen.sqlite3" <<'PY'
import sys
from alembic import command
from db.migrate import alembic_config
command.revision(alembic_config(f"sqlite:///{sys.argv[1]}"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
then
  cp "$tmp/old.py" db/migrations/versions/0001_initial_schema.py
  echo "regeneration failed; the old migration was put back" >&2
  exit 1
fi
rm -rf "$tmp"
echo "db/migrations/versions/0001_initial_schema.py regenerated"
