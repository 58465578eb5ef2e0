"""Reward-model checkpoints: only safetensors and the JSON config are read, never pickle; the
stored settings get the constructor's range checks; non-finite weights are refused on load
and on save; a failed save leaves the earlier checkpoint whole. Errors are one line naming
the file (and the setting)."""

import json
import shutil

import numpy as np
import pytest
import safetensors.torch
import torch

from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, gold_pairs
from sim.reward import CheckpointError, RewardModel, SettingError

PROMPT = "Capital of France?"
TEXTS = ["Paris is the capital of France.", "I think it is Lyon.", "No idea, sorry."]


def first_gold_pairs(n):
    """The first ``n`` train pairs of the built-in corpus, the gold winner as chosen."""
    corpus = builtin_corpus(seed=0)
    return gold_pairs(corpus, corpus.pairs("train").iloc[:n], DEFAULT_TARGET_WEIGHTS)


def _saved(tmp_path_factory, name, layers):
    model = RewardModel(trainable_layers=layers, epochs=1, progress=False)
    model.fit(first_gold_pairs(16))
    return model.save(tmp_path_factory.mktemp(name)), model.score(PROMPT, TEXTS)


@pytest.fixture(scope="module")
def head_checkpoint(tmp_path_factory):
    """A fitted head-mode checkpoint and its scores of ``TEXTS``; tests change copies."""
    return _saved(tmp_path_factory, "head", 0)


@pytest.fixture(scope="module")
def finetune_checkpoint(tmp_path_factory):
    return _saved(tmp_path_factory, "finetune", "all")


def _copy(checkpoint, tmp_path):
    return shutil.copytree(checkpoint[0], tmp_path / "ckpt")


def _refused(folder, *names, **overrides):
    """Load ``folder``, expect a one-line CheckpointError, check it names each of ``names``."""
    with pytest.raises(CheckpointError) as info:
        RewardModel.load(folder, **overrides)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "\n" not in message
    for name in names:
        assert name in message, message
    return message


def _edit_config(folder, change):
    path = folder / "reward_model.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))


@pytest.fixture
def no_unpickling(monkeypatch):
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))


def _pickled_model_folder(tmp_path):
    """A transformers-style folder whose only weights are a pickle, ``pytorch_model.bin``."""
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    torch.save(
        {"embeddings.word_embeddings.weight": torch.zeros(2, 2)}, folder / "pytorch_model.bin"
    )
    return folder


def test_a_pickle_folder_is_refused_unread(tmp_path, no_unpickling):
    folder = _pickled_model_folder(tmp_path)
    message = _refused(folder, "pytorch_model.bin", "safetensors")
    assert "weights_only" not in message


def test_a_checkpoint_on_a_pickle_backbone_is_refused_unread(
    head_checkpoint, tmp_path, no_unpickling
):
    folder = _copy(head_checkpoint, tmp_path)
    pickled = _pickled_model_folder(tmp_path)
    _edit_config(folder, lambda config: config["settings"].update(backbone=str(pickled)))
    _refused(folder, "reward_model.json", "backbone", "pytorch_model.bin")


def test_an_unknown_stored_setting_is_named_with_the_known_ones(head_checkpoint, tmp_path):
    folder = _copy(head_checkpoint, tmp_path)
    _edit_config(folder, lambda config: config["settings"].update(learning_rat=0.5))
    _refused(folder, "reward_model.json", "'learning_rat'", "learning_rate", "max_length")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_length", 10**12),
        ("epochs", 0),
        ("learning_rate", -1.0),
        ("batch_size", 0),
        ("seed", -5),
        ("group_comparisons", "yes"),
        ("backbone", "./no/such/model"),
    ],
)
def test_an_out_of_range_stored_setting_is_named(head_checkpoint, tmp_path, field, value):
    folder = _copy(head_checkpoint, tmp_path)
    _edit_config(folder, lambda config: config["settings"].update({field: value}))
    _refused(folder, "reward_model.json", f"{field}:")


@pytest.mark.parametrize(
    "change",
    [
        lambda config: config.update(n_pairs_fitted=-1),
        lambda config: config.update(n_pairs_fitted="16"),
        lambda config: config.update(settings=["head"]),
        lambda config: config.update(format=True),
    ],
)
def test_a_malformed_config_is_named(head_checkpoint, tmp_path, change):
    folder = _copy(head_checkpoint, tmp_path)
    _edit_config(folder, change)
    _refused(folder, "reward_model.json")


def test_deeply_nested_config_json_is_named(head_checkpoint, tmp_path):
    folder = _copy(head_checkpoint, tmp_path)
    (folder / "reward_model.json").write_text("[" * 100_000 + "]" * 100_000)
    _refused(folder, "reward_model.json")


@pytest.mark.parametrize(
    ("checkpoint", "file", "value"),
    [
        ("head_checkpoint", "head.safetensors", float("nan")),
        ("head_checkpoint", "head.safetensors", float("-inf")),
        ("finetune_checkpoint", "backbone.safetensors", float("nan")),
    ],
)
def test_non_finite_stored_weights_are_refused(request, tmp_path, checkpoint, file, value):
    folder = _copy(request.getfixturevalue(checkpoint), tmp_path)
    tensors = safetensors.torch.load_file(folder / file)
    name = sorted(tensors)[-1]
    tensors[name].view(-1)[0] = value
    safetensors.torch.save_file(tensors, folder / file)
    _refused(folder, file, repr(name))


def test_runtime_overrides_only(head_checkpoint, tmp_path):
    folder = _copy(head_checkpoint, tmp_path)
    with pytest.raises(SettingError) as info:
        RewardModel.load(folder, trainable_layers="all")  # stored, so not an override
    assert info.value.field == "trainable_layers"
    with pytest.raises(SettingError) as info:
        RewardModel.load(folder, learning_rat=0.1)
    assert info.value.field == "learning_rat"
    with pytest.raises(SettingError) as info:
        RewardModel.load(folder, torch_threads=0)  # the caller's value, not the file's
    assert info.value.field == "torch_threads"
    loaded = RewardModel.load(folder, torch_threads=1, progress=False)
    # Another thread count splits the matrix products otherwise: equal up to float rounding.
    scores = loaded.score(PROMPT, TEXTS)
    np.testing.assert_allclose(scores, head_checkpoint[1], rtol=1e-5, atol=1e-6)


def _contents(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_save_refuses_non_finite_weights_and_keeps_the_earlier_checkpoint(
    head_checkpoint, tmp_path
):
    folder = _copy(head_checkpoint, tmp_path)
    before = _contents(folder)
    model = RewardModel.load(folder, progress=False)
    with torch.no_grad():
        model.head.weight[0, 0] = float("nan")
    with pytest.raises(CheckpointError, match=r"^checkpoint: weight 'weight' is NaN"):
        model.save(folder)
    assert _contents(folder) == before


def test_a_failed_save_leaves_the_earlier_checkpoint_whole(
    finetune_checkpoint, tmp_path, monkeypatch
):
    """The disk fills while the second weights file is written: neither weights file nor the
    config changes, and no temporary file is left behind."""
    folder = _copy(finetune_checkpoint, tmp_path)
    before = _contents(folder)
    model = RewardModel.load(folder, progress=False).fit(first_gold_pairs(4))
    real_save = safetensors.torch.save_model
    calls = []

    def filling_save(module, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            with open(path, "wb") as handle:
                handle.write(b"half a file")
            raise OSError(28, "No space left on device")
        real_save(module, path, *args, **kwargs)

    monkeypatch.setattr(safetensors.torch, "save_model", filling_save)
    with pytest.raises(CheckpointError, match="No space left on device"):
        model.save(folder)
    assert len(calls) == 2
    assert _contents(folder) == before
    reloaded = RewardModel.load(folder, progress=False)
    np.testing.assert_array_equal(reloaded.score(PROMPT, TEXTS), finetune_checkpoint[1])
