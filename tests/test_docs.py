"""The design is in the repository: files cite ``docs/architecture.md``, never a design file
outside it, and every repository path the architecture names in backticks exists."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
OUTSIDE = "DESIGN" + ".md"
"""The design brief that lived outside the repository (spelled in two parts so that this file
does not cite it)."""
FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
REPO_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)*/|[\w.-]+(?:/[\w.-]+)+")
"""A folder (``sim/corpus/``) or a file under one (``sim/market.py``); placeholders such as
``<name>`` are not paths."""


def project_files(root: Path) -> list[str]:
    """Files git tracks under ``root``, and new ones it does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return sorted({name for name in listed.decode().split("\0") if name})


def citations(root: Path, files: list[str]) -> list[str]:
    """``file:line`` of every line of ``files`` that names the outside design file."""
    found = []
    for name in files:
        path = root / name
        if not path.is_file():  # deleted in the work tree
            continue
        data = path.read_bytes()
        if OUTSIDE.encode() not in data:
            continue
        lines = data.decode(errors="replace").splitlines()
        found += [f"{name}:{i}" for i, line in enumerate(lines, 1) if OUTSIDE in line]
    return found


def named_paths(text: str) -> list[str]:
    """Repository paths in the backticked spans of Markdown ``text`` (fenced blocks left out)."""
    spans = CODE_SPAN.findall(FENCED.sub("", text))
    return [span for span in spans if REPO_PATH.fullmatch(span)]


def missing_paths(text: str, root: Path) -> list[str]:
    """Paths ``text`` names that do not exist under ``root`` (a trailing ``/``: a folder)."""
    return [
        path
        for path in named_paths(text)
        if not ((root / path).is_dir() if path.endswith("/") else (root / path).exists())
    ]


@pytest.fixture(scope="module")
def files():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return project_files(ROOT)


def test_no_file_cites_a_design_outside_the_repository(files):
    assert "tests/test_docs.py" in files
    assert citations(ROOT, files) == []


def test_every_path_the_architecture_names_exists():
    text = ARCHITECTURE.read_text()
    assert len(named_paths(text)) > 50
    assert missing_paths(text, ROOT) == []


def test_a_planted_citation_is_found(tmp_path):
    (tmp_path / "module.py").write_text(f'"""First line.\n\nAs {OUTSIDE} says."""\n')
    (tmp_path / "other.py").write_text("x = 1\n")
    assert citations(tmp_path, ["module.py", "other.py", "gone.py"]) == ["module.py:3"]


def test_a_missing_path_is_found(tmp_path):
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "market.py").write_text("")
    text = (
        "`sim/`, `sim/market.py`, `sim/market.py/`, `sim/gone.py`, `gone/`, "
        "`mechanisms/<name>.py`, `prompt, chosen, rejected`\n\n```\n`inside/a/fence.py`\n```\n"
    )
    assert missing_paths(text, tmp_path) == ["sim/market.py/", "sim/gone.py", "gone/"]
