#!/usr/bin/env bash
# Refresh the Qt Linguist sources from the code and compile them:
#   1. pyside6-lupdate scans ui/ and agent_app/ (self.tr, QCoreApplication.translate,
#      QT_TRANSLATE_NOOP) into i18n/agent_desk_zh_CN.ts and i18n/agent_desk_en.ts,
#      keeping existing translations;
#   2. the English file gets translation = source automatically (scripts/ts_fill.py);
#      the Chinese one is translated by hand (Qt Linguist, glossary terms) — the script
#      lists what is still unfinished;
#   3. pyside6-lrelease compiles both into .qm files, which the app loads.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
BIN=.venv/bin
mapfile -t files < <(find ui agent_app -name '*.py' -not -path '*/__pycache__/*' | sort)
"$BIN/pyside6-lupdate" -silent -locations none -no-obsolete "${files[@]}" \
  -ts i18n/agent_desk_zh_CN.ts i18n/agent_desk_en.ts
"$PY" scripts/ts_fill.py copy-source i18n/agent_desk_en.ts
"$PY" scripts/ts_fill.py report i18n/agent_desk_zh_CN.ts || true
"$BIN/pyside6-lrelease" -silent i18n/agent_desk_zh_CN.ts i18n/agent_desk_en.ts
echo "i18n/*.qm rebuilt"
