"""Sizes of the library against the house limits: no file over 400 lines (data tables
excepted), no class over 250 lines, no function over 60 (docstrings included).

Run from the repository root: ``python tests/sizes.py`` prints every piece over its limit;
``tests/test_sizes.py`` holds the library to the pieces listed in ``KNOWN_OVER`` at no more
than their recorded size, so the list can shrink and never grow.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]
LIBRARY = ("mechanisms", "agents", "analysis", "sim")
FILE_LIMIT, CLASS_LIMIT, FUNCTION_LIMIT = 400, 250, 60
DATA_TABLES = {"sim/corpus/facts.py", "sim/corpus/phrases.py"}
"""Files that are data (the built-in corpus's facts and phrasings), not logic."""


@dataclass(frozen=True)
class Piece:
    """A file, class or function and its length in lines."""

    kind: str
    name: str
    lines: int

    @property
    def limit(self) -> int:
        return {"file": FILE_LIMIT, "class": CLASS_LIMIT, "function": FUNCTION_LIMIT}[self.kind]


def pieces(root: Path = ROOT) -> list[Piece]:
    """Every library file, class and function (methods included) with its length."""
    found = []
    for package in LIBRARY:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            text = path.read_text()
            if relative not in DATA_TABLES:
                found.append(Piece("file", relative, len(text.splitlines())))
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    kind = "class" if isinstance(node, ast.ClassDef) else "function"
                    length = node.end_lineno - node.lineno + 1
                    found.append(Piece(kind, f"{relative}:{node.name}", length))
    return found


def over_limit(root: Path = ROOT) -> list[Piece]:
    return [piece for piece in pieces(root) if piece.lines > piece.limit]


if __name__ == "__main__":
    for piece in sorted(over_limit(), key=lambda p: (p.kind, -p.lines)):
        print(f"{piece.kind:8} {piece.lines:5} > {piece.limit:3}  {piece.name}")
