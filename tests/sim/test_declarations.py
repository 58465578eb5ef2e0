"""One declaration per setting: the population and reward-model settings are declared once,
with type, default, bounds and description (``agents.population.PopulationSpec``,
``sim.reward.RewardSettings``); the config's sections, the library's constructors and the
README read that declaration, and no other class in the library declares them again."""

import ast
import re
from pathlib import Path

from agents.population import PopulationSpec
from sim.config import MARKET_SETS, BuyerConfig, MarketConfig, RewardModelConfig
from sim.reward import RewardSettings

ROOT = Path(__file__).parents[2]
LIBRARY = ("agents", "analysis", "mechanisms", "sim")
DECLARATIONS = {"PopulationSpec": PopulationSpec, "RewardSettings": RewardSettings}
SECTION_ONLY = {"eval_pairs"}
"""``[reward_model]`` fields that are the market's, not the reward model's."""
KNOWN: dict[str, str] = {}
"""Classes that name settings again today, and why; the list can only shrink."""


def redeclared(root: Path = ROOT) -> list[str]:
    """Library classes, other than the declarations, whose body declares (``name: type``) two
    or more fields of a declaration: ``"<file>:<class> declares <declaration>'s <fields>"``."""
    found = []
    for package in LIBRARY:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.ClassDef) or node.name in DECLARATIONS:
                    continue
                names = {
                    statement.target.id
                    for statement in node.body
                    if isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                }
                for declaration, model in DECLARATIONS.items():
                    shared = sorted(names & set(model.model_fields))
                    if len(shared) >= 2:
                        where = f"{path.relative_to(root).as_posix()}:{node.name}"
                        found.append(f"{where} declares {declaration}'s {', '.join(shared)}")
    return found


def test_no_library_class_declares_a_setting_again():
    assert [found for found in redeclared() if found.split(" ")[0] not in KNOWN] == []


def test_the_known_list_names_only_classes_still_found():
    assert sorted(set(KNOWN) - {found.split(" ")[0] for found in redeclared()}) == []


def test_a_planted_copy_of_the_settings_is_found(tmp_path):
    package = tmp_path / "sim"
    package.mkdir()
    (package / "copy.py").write_text(
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Population:\n"
        "    n_annotators: int = 24\n    capacity: int = 8\n    other: str = ''\n"
    )
    assert redeclared(tmp_path) == [
        "sim/copy.py:Population declares PopulationSpec's capacity, n_annotators"
    ]


def test_the_population_section_is_the_declaration():
    assert MarketConfig.model_fields["population"].annotation is PopulationSpec


def test_the_reward_model_section_takes_the_declared_fields():
    """The same annotation, bounds and description; only ``trainable_layers``' default is the
    market's (``MARKET_TRAINABLE_LAYERS``)."""
    section, declared = RewardModelConfig.model_fields, RewardSettings.model_fields
    assert set(section) == (set(declared) - set(MARKET_SETS)) | SECTION_ONLY
    for name in set(section) - SECTION_ONLY:
        ours, theirs = section[name], declared[name]
        assert ours.annotation == theirs.annotation, name
        assert ours.metadata == theirs.metadata, name
        assert ours.description == theirs.description, name
        assert name == "trainable_layers" or ours.default == theirs.default, name


def test_every_setting_is_described_and_named_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    sections = readme[readme.index("- `[population]`") : readme.index("- `[corpus]`")]
    named = set(re.findall(r"`(\w+)`", sections))
    for model in (PopulationSpec, RewardModelConfig, BuyerConfig):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            assert name in named, f"README does not name {model.__name__}.{name}"
