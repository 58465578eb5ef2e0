"""Reward-model checkpoints: a folder of safetensors weights and a JSON config, never pickle.

The config (:data:`CONFIG_FILE`) holds the checkpoint format, the count of fitted pairs and
the settings that change what is learned (:data:`~sim.reward.settings.SAVED_SETTINGS`). The
weights are what trained: the head (:data:`HEAD_FILE`) and the whole backbone
(:data:`BACKBONE_FILE`, ``trainable_layers="all"``) or its top k layers
(:data:`TOP_LAYERS_FILE`); frozen weights are the pretrained ones, reloaded from the
backbone's source. Reading refuses a folder with pickle weights unread, an unknown or
malformed config and non-finite weights; writing refuses non-finite weights and renames
every file into place only once all are written. Every refusal is one line naming the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import safetensors
import safetensors.torch
import torch

from sim.reward.backbones import PICKLE_SUFFIXES, one_line
from sim.reward.network import trained_part
from sim.reward.settings import RUNTIME_SETTINGS, SAVED_SETTINGS, SettingError

CONFIG_FILE = "reward_model.json"
_LAYERS_OF_MODE = {"finetune": "all", "head": 0}
"""What a stored ``mode`` (a setting of earlier versions) trained; "partial" came with a count."""
BACKBONE_FILE = "backbone.safetensors"
HEAD_FILE = "head.safetensors"
TOP_LAYERS_FILE = "top_layers.safetensors"
CHECKPOINT_FORMAT = 1


class CheckpointError(ValueError):
    """A checkpoint folder that cannot be loaded or written; the one-line message names the
    file and what to do."""


class MissingCheckpointError(CheckpointError, FileNotFoundError):
    """A checkpoint folder, config or weights file that does not exist."""


def stored_modules(
    trainable_layers: int | str, head: torch.nn.Module | None, backbone: torch.nn.Module
) -> dict[str, torch.nn.Module]:
    """The trained modules a checkpoint stores, by file name: the head (none under DPO) and
    the trained part of the backbone (:func:`~sim.reward.network.trained_part`): all of it
    (``"all"``), its top k layers (k >= 1) or nothing (0)."""
    modules = {HEAD_FILE: head} if head is not None else {}
    part = trained_part(backbone, trainable_layers)
    if part is not None:
        modules[BACKBONE_FILE if part is backbone else TOP_LAYERS_FILE] = part
    return modules


def write_checkpoint(
    folder: Path, modules: dict[str, torch.nn.Module], settings: dict, n_pairs_fitted: int
) -> None:
    """Write each of ``modules`` to its file name in ``folder``, then the config, atomically.

    Every file is first written under a temporary name beside its own; only when all are
    written are they renamed into place, the JSON last, so a save that fails (a full disk)
    leaves the earlier checkpoint as it was. Weights that are not finite (training diverged)
    are refused before anything is written.

    Raises
    ------
    CheckpointError
        When a weight is NaN or infinite, or the folder cannot be written.
    """
    for module in modules.values():
        tensors = module.state_dict()
        bad = _first_non_finite(tensors.keys(), tensors.__getitem__)
        if bad is not None:
            raise CheckpointError(
                f"checkpoint: weight {bad!r} is NaN or infinite (training diverged); "
                "nothing was written, fit again with a lower learning_rate"
            )
    config = {"format": CHECKPOINT_FORMAT, "n_pairs_fitted": n_pairs_fitted, "settings": settings}
    text = json.dumps(config, indent=2)
    writers = {
        name: lambda path, module=module: safetensors.torch.save_model(module, path)
        for name, module in modules.items()
    }
    writers[CONFIG_FILE] = lambda path: Path(path).write_text(text)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_all(folder, writers)
    except OSError as error:
        raise CheckpointError(
            f"checkpoint: cannot write to {folder} ({one_line(error)}); the files already "
            "there are unchanged, make room or fix the folder and save again"
        ) from error


def check_overrides(overrides: Iterable[str]) -> None:
    """Refuse ``overrides`` of a loaded checkpoint's settings that are not runtime settings.

    Raises
    ------
    SettingError
        Naming the first override that is stored in the checkpoint or is no setting.
    """
    for name in overrides:
        if name not in RUNTIME_SETTINGS:
            kind = "is stored in the checkpoint" if name in SAVED_SETTINGS else "is no setting"
            raise SettingError(
                name, f"{kind}, so it cannot be overridden; override only {RUNTIME_SETTINGS}"
            )


def read_config(folder: Path) -> tuple[dict, int]:
    """The stored settings and fitted-pair count of a checkpoint folder, checked for shape."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        pickles = _pickle_files(folder)
        if pickles:
            raise CheckpointError(
                f"checkpoint: {folder} holds pickle weights ({pickles[0]}), which are never "
                f"loaded (unpickling can run code); load a folder written by RewardModel.save "
                f"(safetensors and {CONFIG_FILE})"
            )
        raise MissingCheckpointError(
            f"checkpoint: {path} is missing; pass a folder written by RewardModel.save"
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise CheckpointError(
            f"checkpoint: {path} cannot be read as JSON ({one_line(error)}); re-save the model"
        ) from error
    problem = None
    if not isinstance(config, dict):
        problem = "expected a JSON object"
    elif type(config.get("format")) is not int or config["format"] != CHECKPOINT_FORMAT:
        problem = f"format {config.get('format')!r} is not {CHECKPOINT_FORMAT}"
    elif not isinstance(config.get("settings"), dict):
        problem = "'settings' must be a JSON object"
    elif type(config.get("n_pairs_fitted")) is not int or config["n_pairs_fitted"] < 0:
        problem = f"'n_pairs_fitted' is {config.get('n_pairs_fitted')!r}, not a count"
    if problem is not None:
        raise CheckpointError(
            f"checkpoint: {path} is not a valid reward-model config ({problem}); re-save the model"
        )
    stored = config["settings"]
    if "mode" in stored:  # written by earlier versions, some with no trainable_layers
        mode = stored.pop("mode")
        stored.setdefault("trainable_layers", _LAYERS_OF_MODE.get(mode, mode))
    unknown = sorted(set(config["settings"]) - set(SAVED_SETTINGS))
    if unknown:
        raise CheckpointError(
            f"checkpoint: {path} has the unknown setting {unknown[0]!r}; remove it (known "
            f"settings: {', '.join(SAVED_SETTINGS)})"
        )
    return config["settings"], config["n_pairs_fitted"]


def bad_setting(folder: Path, error: SettingError) -> CheckpointError:
    """The error for a stored setting that the model refuses."""
    return CheckpointError(
        f"checkpoint: {folder / CONFIG_FILE} has a bad setting, {error}; correct it "
        "or re-save the model"
    )


def load_weights(module: torch.nn.Module, path: Path) -> None:
    """Load the safetensors file ``path`` into ``module``, refusing it unless every stored
    tensor is finite."""
    if not path.is_file():
        raise MissingCheckpointError(
            f"checkpoint: {path} is missing; the checkpoint is incomplete, re-save it"
        )
    try:
        with safetensors.safe_open(str(path), framework="pt") as handle:
            bad = _first_non_finite(handle.keys(), handle.get_tensor)
        if bad is None:
            safetensors.torch.load_model(module, str(path), strict=True)
    except (safetensors.SafetensorError, RuntimeError, OSError) as error:
        raise CheckpointError(
            f"checkpoint: {path} is corrupted or belongs to another model ({one_line(error)}); "
            "re-save it"
        ) from error
    if bad is not None:
        raise CheckpointError(
            f"checkpoint: {path} holds NaN or infinite values in {bad!r} (training diverged or "
            "the file is damaged); fit again and re-save it"
        )


def _pickle_files(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)


def _first_non_finite(names, tensor_of: Callable[[str], torch.Tensor]) -> str | None:
    """The first of ``names`` whose floating-point tensor holds NaN or infinity, else None."""
    for name in names:
        tensor = tensor_of(name)
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return name
    return None


def _write_all(folder: Path, writers: dict[str, Callable[[str], None]]) -> None:
    """Have each writer fill a temporary file beside its named file, then rename them all into
    place in order: a writer that fails leaves every named file as it was."""
    staged = [(folder / f".{name}.{os.getpid()}.tmp", folder / name) for name in writers]
    try:
        for (temporary, _), write in zip(staged, writers.values(), strict=True):
            write(str(temporary))
        for temporary, final in staged:
            os.replace(temporary, final)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
