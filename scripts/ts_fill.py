"""Small helpers for the Qt Linguist .ts files (used by update-translations.sh).

    ts_fill.py copy-source FILE.ts        English: translation = source, marked finished
    ts_fill.py report FILE.ts             list unfinished messages (exit 1 if any)
    ts_fill.py from-json FILE.ts DICT.json  fill unfinished messages from {source: text}
                                            ({source: [forms]} for %n plurals)
"""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET


def _messages(root: ET.Element):
    for ctx in root.iter("context"):
        name = ctx.findtext("name", "")
        for msg in ctx.iter("message"):
            yield name, msg


def _unfinished(tr: ET.Element) -> bool:
    if tr.get("type") in ("unfinished",):
        return True
    forms = tr.findall("numerusform")
    if forms:
        return not all((f.text or "").strip() for f in forms)
    return not (tr.text or "").strip()


def _set(msg: ET.Element, value) -> None:
    tr = msg.find("translation")
    if msg.get("numerus") == "yes":
        forms = value if isinstance(value, list) else [value]
        for f in list(tr):
            tr.remove(f)
        for form in forms:
            ET.SubElement(tr, "numerusform").text = form
    else:
        tr.text = value
    tr.attrib.pop("type", None)


def _write(tree: ET.ElementTree, path: str) -> None:
    ET.indent(tree, space="    ")
    with open(path, "wb") as f:
        f.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(f, encoding="utf-8", xml_declaration=False)


def copy_source(path: str) -> None:
    tree = ET.parse(path)
    for _, msg in _messages(tree.getroot()):
        tr = msg.find("translation")
        if tr.get("type") == "vanished" or tr.get("type") == "obsolete":
            continue
        src = msg.findtext("source", "")
        if msg.get("numerus") == "yes":
            _set(msg, [src.replace("(s)", ""), src.replace("(s)", "s")])
        else:
            _set(msg, src)
    _write(tree, path)


def report(path: str) -> int:
    missing = [(c, m.findtext("source")) for c, m in _messages(ET.parse(path).getroot())
               if _unfinished(m.find("translation"))]
    for ctx, src in missing:
        print(f"unfinished [{ctx}] {src!r}")
    print(f"{path}: {len(missing)} unfinished")
    return 1 if missing else 0


def from_json(path: str, dict_path: str) -> None:
    table = json.loads(open(dict_path, encoding="utf-8").read())
    tree = ET.parse(path)
    for _, msg in _messages(tree.getroot()):
        src = msg.findtext("source", "")
        if _unfinished(msg.find("translation")) and src in table:
            _set(msg, table[src])
    _write(tree, path)


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "copy-source":
        copy_source(rest[0])
    elif cmd == "report":
        sys.exit(report(rest[0]))
    elif cmd == "from-json":
        from_json(rest[0], rest[1])
    else:
        sys.exit(__doc__)
