#!/usr/bin/env bash
# Mutation testing of modules with business rules, against their own tests, on SQLite:
#   bash scripts/mutation.sh agent_app/cti/routing.py agent_app/services/orders.py …
#   bash scripts/mutation.sh --mutants 'agent_app.services.orders.x__clean__*' agent_app/services/orders.py
# (only the mutants whose names match the globs: a part of a module, e.g. orders' write path).
# Each module's tests are tests/<package>/test_<name>*.py (agent_app/cti/routing.py →
# tests/cti/test_routing*.py); give others with --tests "tests/x.py tests/y.py".
# mutmut (config: [tool.mutmut] in pyproject.toml) runs in a scratch copy, .mutation/, with
# one worker (the machines have 2 cores), and scripts/mutation_score.py prints the score:
# killed / all, and the same leaving out message-text mutants. Not part of .ci/run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ $# -gt 0 ] || { echo "usage: $0 [--tests 'FILES'] MODULE.py…" >&2; exit 2; }
ensure_venv test
tests=""
mutants=()
modules=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tests) tests="$2"; shift 2 ;;
    --mutants) read -r -a more <<<"$2"; mutants+=("${more[@]}"); shift 2 ;;
    *) modules+=("$1"); shift ;;
  esac
done
if [ -z "$tests" ]; then
  for m in "${modules[@]}"; do
    [ -f "$m" ] || { echo "no such module: $m" >&2; exit 2; }
    pkg="$(basename "$(dirname "$m")")"; name="$(basename "$m" .py)"
    found=$(ls tests/"$pkg"/test_"$name"*.py 2>/dev/null || true)
    [ -n "$found" ] || { echo "no tests/$pkg/test_$name*.py for $m: use --tests" >&2; exit 2; }
    tests="$tests $found"
  done
fi
WORK="$ROOT/.mutation"
rm -rf "$WORK"
mkdir -p "$WORK"
# the tracked files as they are in the work tree (uncommitted edits included)
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$WORK"
"$VENV/bin/python" - "$WORK/pyproject.toml" "${modules[*]}" "$tests" <<'PY'
import sys
path, modules, tests = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
text = open(path, encoding="utf-8").read()
extra = (f"only_mutate = {modules!r}\n"
         f"pytest_add_cli_args_test_selection = {tests!r}\n").replace("'", '"')
text = text.replace("[tool.mutmut]\n", "[tool.mutmut]\n" + extra, 1)
open(path, "w", encoding="utf-8").write(text)
PY
say "mutating ${modules[*]} against$tests (SQLite, 1 worker)"
cd "$WORK"
export QT_QPA_PLATFORM=offscreen PYTHONDONTWRITEBYTECODE=1 AGENT_TEST_CHEAP_HASHES=1  # tests/services/conftest.py
start=$(date +%s)
"$VENV/bin/mutmut" run --max-children 1 "${mutants[@]}" >"$WORK/run.log" 2>&1 || { tail -40 "$WORK/run.log"; exit 1; }
say "done in $(( $(date +%s) - start )) s; mutants and results in .mutation/mutants (mutmut browse there)"
"$VENV/bin/python" "$ROOT/scripts/mutation_score.py" "${modules[@]}" ${MUTATION_SURVIVORS:+--survivors}
