"""The rooms import one way (docs/architecture.md, "Rooms"): mechanisms know nothing of the
rest, analysis knows only mechanisms, agents know mechanisms and analysis, and inside sim the
corpus and the reward model (which reads the corpus's pairs) know nothing of the market, the
experiments or the CLI."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PROJECT = ("mechanisms", "analysis", "agents", "sim")
MAY_IMPORT = {
    "mechanisms": {"mechanisms"},
    "analysis": {"analysis", "mechanisms"},
    "agents": {"agents", "analysis", "mechanisms"},
    "sim.corpus": {"sim.corpus", "analysis", "mechanisms"},
    "sim.reward": {"sim.reward", "sim.corpus", "analysis", "mechanisms"},
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def violations(room: str) -> list[str]:
    folder = ROOT.joinpath(*room.split("."))
    found = []
    for path in sorted(folder.rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] not in PROJECT:
                continue
            allowed = MAY_IMPORT[room]
            if not any(module == a or module.startswith(a + ".") for a in allowed):
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_each_room_imports_only_what_it_may(room):
    assert violations(room) == []


def test_a_planted_upward_import_is_found(tmp_path, monkeypatch):
    planted = tmp_path / "mechanisms"
    planted.mkdir()
    (planted / "leak.py").write_text("from sim.market import MarketModel\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert violations("mechanisms") == ["mechanisms/leak.py imports sim.market"]
