"""The desk always says who is looking: every call from ui/ of a read whose phones are
masked by a `viewer=` keyword passes one (docs/privacy.md). Without it the core's default
(None: the core's own use) would hand the desk full numbers."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# reads that mask only when told the viewer (the others take the actor anyway)
VIEWER_READS = {"load_bundle", "pop_context", "find_by_phone"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return getattr(node, "id", "")


def calls_without_viewer(source: str) -> list[str]:
    out = []
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call):
            continue
        # direct calls, and the function handed to runner.call / call_service / run
        targets = [call.func, *call.args[:1]]
        hit = [_name(t) for t in targets if _name(t) in VIEWER_READS]
        # CustomerService.get, read through ctx.services.get(CustomerService).get
        for t in targets:
            if (isinstance(t, ast.Attribute) and t.attr == "get"
                    and "CustomerService" in ast.unparse(t.value)):
                hit.append("CustomerService.get")
        if hit and not any(k.arg == "viewer" for k in call.keywords):
            out.append(f"{hit[0]} at line {call.lineno}")
    return out


def test_the_checker_sees_a_missing_viewer():
    assert calls_without_viewer("await self.call_service(load_bundle, db, 1)") == [
        "load_bundle at line 1"]
    assert calls_without_viewer(
        "x(self.ctx.services.get(CustomerService).get, 1, viewer=a)") == []


def test_every_desk_read_of_phones_names_its_viewer():
    missing = {str(p.relative_to(ROOT)): found for p in sorted((ROOT / "ui").rglob("*.py"))
               if (found := calls_without_viewer(p.read_text(encoding="utf-8")))}
    assert missing == {}
