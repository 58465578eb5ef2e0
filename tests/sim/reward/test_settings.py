"""The settings a reward model is built (or a checkpoint loaded) with: each is range-checked
before any weight loads, and a backbone is found only locally and only as safetensors. Every
refusal is a one-line ``SettingError`` (a ``ValueError``) that starts with the setting's name.
"""

import json
from pathlib import Path

import pytest
import torch
import transformers

from sim.config import MARKET_TRAINABLE_LAYERS, MarketConfig, RewardModelConfig
from sim.config_files import ConfigError
from sim.reward import RewardModel, RewardSettings, SettingError, check_settings
from sim.reward.backbones import resolve_backbone
from sim.reward.settings import RUNTIME_SETTINGS, SAVED_SETTINGS, SETTINGS

MINILM_FOLDER = Path(resolve_backbone("minilm").path)


def _refused(build, field, **settings):
    with pytest.raises(SettingError) as info:
        build(**settings)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert "\n" not in str(error)
    return str(error)


@pytest.fixture
def no_loading(monkeypatch):
    """Fail the test if transformers loads anything or torch unpickles a file."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a loader ran before the settings were refused")

    for loader in (transformers.AutoConfig, transformers.AutoTokenizer, transformers.AutoModel):
        monkeypatch.setattr(loader, "from_pretrained", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)


def test_every_constructor_argument_is_a_known_setting():
    fields = set(RewardSettings.model_fields)
    assert set(SAVED_SETTINGS) | set(RUNTIME_SETTINGS) == fields == set(SETTINGS)
    assert not set(SAVED_SETTINGS) & set(RUNTIME_SETTINGS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mode", "head"),
        ("objective", "ppo"),
        ("learning_rate", float("nan")),
        ("learning_rate", float("inf")),
        ("learning_rate", 0.0),
        ("learning_rate", "fast"),
        ("beta", -0.1),
        ("epochs", 0),
        ("epochs", True),
        ("epochs", 1.5),
        ("batch_size", 0),
        ("eval_batch_size", -1),
        ("torch_threads", 0),
        ("seed", -1),
        ("seed", 2**64),
        ("seed", "0"),
        ("max_length", 7),
        ("max_length", 10**12),
        ("group_comparisons", "yes"),
        ("progress", None),
        ("deduplicate_texts", 1),
        ("cache_frozen_states", "no"),
        ("trainable_layers", "some"),
        ("trainable_layers", -1),
        ("trainable_layers", True),
        ("trainable_layers", 2.0),
        ("trainable_layers", 7),  # MiniLM has 6 layers
        ("cache_mb", 0),
        ("cache_mb", float("inf")),
        ("cache_dtype", "float16"),
        ("precision", "fp16"),
    ],
)
def test_out_of_range_settings_are_refused_by_name(field, value):
    for build in (RewardModel, check_settings):
        _refused(build, field, **{field: value})


def test_a_config_table_builds_the_settings_it_names():
    market_default = RewardSettings(trainable_layers=MARKET_TRAINABLE_LAYERS)
    assert RewardModelConfig().to_settings(seed=0, progress=True) == market_default
    assert RewardSettings().trainable_layers == "all"
    # The partial default is MiniLM's: another backbone (SmolLM2 is causal) keeps "all".
    assert RewardModelConfig(backbone="smollm2").trainable_layers == "all"
    table = {"trainable_layers": 0, "epochs": 3, "beta": 0.2, "group_comparisons": True}
    built = RewardModelConfig(**table).to_settings(seed=7, progress=False)
    assert built == RewardSettings(**table, seed=7, progress=False)
    with pytest.raises(ConfigError, match=r"^reward_model\.objective: .*causal"):
        MarketConfig.from_dict({"reward_model": {"objective": "dpo"}})


def test_trainable_layers_is_the_one_name_of_what_trains():
    """``mode`` of earlier versions named ``trainable_layers`` too; naming it now is refused
    in one line that says what to give instead."""
    assert "mode" not in RewardSettings.model_fields | RewardModelConfig.model_fields
    for build in (RewardModel, check_settings, RewardSettings):
        assert "trainable_layers = 0" in _refused(build, "mode", mode="head")
    with pytest.raises(
        ConfigError, match=r"^reward_model\.mode: removed; .*trainable_layers = 0.*\(got 'head'\)$"
    ):
        MarketConfig.from_dict({"reward_model": {"mode": "head"}})
    for given, layers in [({}, "all"), ({"trainable_layers": 3}, 3), ({"trainable_layers": 0}, 0)]:
        assert RewardSettings(**given).trainable_layers == layers
        check_settings(**given)


def test_dpo_needs_a_causal_backbone():
    # MiniLM is an encoder.
    message = _refused(RewardModel, "objective", objective="dpo")
    assert "causal" in message


def test_max_length_is_bounded_by_the_backbones_positions():
    limit = json.loads((MINILM_FOLDER / "config.json").read_text())["max_position_embeddings"]
    check_settings(max_length=limit)
    message = _refused(RewardModel, "max_length", max_length=limit + 1)
    assert f"at most {limit}" in message


def test_an_unknown_setting_is_named_with_the_known_ones():
    message = _refused(check_settings, "learning_rat", learning_rat=1e-3)
    assert "learning_rate" in message and "max_length" in message


def test_an_unknown_backbone_name_is_refused_before_any_lookup(no_loading):
    message = _refused(RewardModel, "backbone", backbone="bert-base-uncased")
    assert "'minilm'" in message and "'smollm2'" in message
    assert "local model folder" in message


@pytest.mark.parametrize(
    "name", ["./models/none", "~/no-such-model-3f9c", "/no/such/model", "org/no-such-model"]
)
def test_a_backbone_path_that_does_not_exist_is_refused(no_loading, name):
    message = _refused(RewardModel, "backbone", backbone=name)
    assert repr(name) in message
    assert "existing model folder" in message


def test_a_backbone_folder_with_pickle_weights_is_refused_unread(tmp_path, monkeypatch):
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_bytes((MINILM_FOLDER / "config.json").read_bytes())
    torch.save(
        {"embeddings.word_embeddings.weight": torch.zeros(2, 2)}, folder / "pytorch_model.bin"
    )
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    message = _refused(RewardModel, "backbone", backbone=str(folder))
    assert "pytorch_model.bin" in message
    assert "weights_only" not in message


@pytest.mark.parametrize(
    ("files", "missing"), [((), "config.json"), (("config.json",), "model.safetensors")]
)
def test_a_backbone_folder_without_config_or_weights_is_refused(
    tmp_path, no_loading, files, missing
):
    for name in files:
        (tmp_path / name).write_bytes((MINILM_FOLDER / name).read_bytes())
    assert missing in _refused(RewardModel, "backbone", backbone=str(tmp_path))


def test_a_local_model_folder_is_a_backbone(tmp_path):
    """A copy of MiniLM's folder (linked file by file) builds the same model as "minilm"."""
    folder = tmp_path / "my-model"
    folder.mkdir()
    for item in MINILM_FOLDER.iterdir():
        (folder / item.name).symlink_to(item)
    local = RewardModel(backbone=str(folder), trainable_layers=0, progress=False)
    named = RewardModel(backbone="minilm", trainable_layers=0, progress=False)
    texts = ["Paris is the capital.", "No idea."]
    assert (
        local.score("Capital of France?", texts).tolist()
        == named.score("Capital of France?", texts).tolist()
    )


def test_a_causal_backbone_trains_all_layers_or_none(tmp_path):
    """Only the config is read: a Llama-style folder (no real weights) is enough."""
    folder = tmp_path / "tiny-llama"
    transformers.LlamaConfig(
        num_hidden_layers=4, hidden_size=16, intermediate_size=32, num_attention_heads=2
    ).save_pretrained(folder)
    (folder / "model.safetensors").write_bytes(b"")
    for layers in (0, "all"):
        check_settings(backbone=str(folder), trainable_layers=layers)
    message = _refused(check_settings, "trainable_layers", backbone=str(folder), trainable_layers=2)
    assert "causal" in message and "'all'" in message
