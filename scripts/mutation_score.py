"""The score of a mutmut run (scripts/mutation.sh), run in the folder that holds mutants/.

    python scripts/mutation_score.py agent_app/cti/routing.py [--survivors]

Per module: killed / all mutants, and the same leaving out message-text mutants. A mutant
is message-text when, with every message argument blanked in both the original function
and the mutant, the two are the same: its only change is inside an argument that is
- an argument of QT_TRANSLATE_NOOP(...) (an error template, or its "errors" context; a
  template mutated to None, or dropped from the error's arguments, falls back to the error
  class's own message), or
- the message (second argument) of RoutingError(code, message), an f-string included.
Such a mutant changes what a user reads, never what happens; a mutant that drops such an
argument (a TypeError), or changes the error's `code`, `field` or parameters, is counted. Timeouts count as killed, "no tests" as survived.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import libcst as cst
from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import (
    read_functions_from_index,
    read_mutant_function,
    read_mutants_module,
    read_original_function,
)
from mutmut.stats import status_by_exit_code

MESSAGE_CALLS = {"QT_TRANSLATE_NOOP": None, "RoutingError": {1}}   # None: every argument


class _BlankMessages(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        # a template dropped altogether: the error falls back to its class's own message
        node.args = [a for a in node.args if not (
            isinstance(a, ast.Call) and getattr(a.func, "id", "") == "QT_TRANSLATE_NOOP")]
        if name in MESSAGE_CALLS:
            which = MESSAGE_CALLS[name]
            node.args = [ast.Constant("<msg>") if which is None or i in which else a
                         for i, a in enumerate(node.args)]
        return node


def _blank(code: str) -> str:
    return ast.dump(_BlankMessages().visit(ast.parse(code)))


def _functions(name: str, path: Path, cache: dict):
    found = read_functions_from_index(name, path)
    if found is None:
        if path not in cache:
            cache[path] = read_mutants_module(path)
        found = (read_original_function(cache[path], name), read_mutant_function(cache[path], name))
    return [cst.Module([f]).code for f in found]


def main(argv: list[str]) -> int:
    show = "--survivors" in argv
    modules = [a for a in argv if not a.startswith("--")]
    total = {"all": [0, 0], "behaviour": [0, 0]}
    for module in modules:
        data = SourceFileMutationData(path=Path(module))
        data.load()
        cache: dict = {}
        counts = {"all": [0, 0], "behaviour": [0, 0]}
        survivors = []
        unchecked = 0
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[exit_code]
            if status == "not checked":   # left out with --mutants, or the run was stopped
                unchecked += 1
                continue
            killed = status in ("killed", "timeout", "caught by type check", "segfault")
            orig, mutant = _functions(name, Path(module), cache)
            message_only = _blank(orig) == _blank(mutant)
            for kind in ("all",) if message_only else ("all", "behaviour"):
                counts[kind][0] += killed
                counts[kind][1] += 1
            if not killed and not message_only:
                survivors.append(f"{name} ({status})")
        for kind in counts:
            total[kind][0] += counts[kind][0]
            total[kind][1] += counts[kind][1]
        k, n = counts["all"]
        bk, bn = counts["behaviour"]
        print(f"{module}: {k}/{n} killed = {100 * k / max(n, 1):.0f} %; leaving out "
              f"{n - bn} message-text mutants: {bk}/{bn} = {100 * bk / max(bn, 1):.0f} %"
              + (f" ({unchecked} not checked)" if unchecked else ""))
        if show:
            print("  surviving behaviour mutants (mutmut show NAME in .mutation/):")
            print("".join(f"    {s}\n" for s in survivors), end="")
    if len(modules) > 1:
        (k, n), (bk, bn) = total["all"], total["behaviour"]
        print(f"all: {k}/{n} = {100 * k / max(n, 1):.0f} %; "
              f"behaviour: {bk}/{bn} = {100 * bk / max(bn, 1):.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
