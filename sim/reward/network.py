"""The torch modules of a reward model: the pretrained backbone, what of it trains, and the head.

``trainable_layers`` decides what trains: ``"all"`` every backbone weight; k the top k
transformer layers (the embeddings and the lower L - k layers are frozen); 0 none (head mode).
The head r = w . h + b is drawn fresh from N(0, 1/d) with the model's generator, on the CPU
(so a seed draws the same head on every device); then every module moves to ``device``.
"""

from __future__ import annotations

import copy

import torch
from transformers import AutoModel, AutoModelForCausalLM

from sim.reward.backbones import BackboneSource
from sim.reward.layers import check_split, layer_stack
from sim.reward.settings import RewardSettings


def pretrained(
    source: BackboneSource, settings: RewardSettings, generator: torch.Generator
) -> tuple[torch.nn.Module, torch.nn.Linear | None, torch.nn.Module | None]:
    """The pretrained backbone in eval mode (dropout off), frozen but for its top
    ``trainable_layers``; a fresh head drawn from N(0, 1/d) with ``generator`` (None under
    DPO); and, under DPO, the frozen reference LM; all in float32 on ``settings.device``.

    Raises
    ------
    SettingError
        (field ``trainable_layers``) When a partial fine-tune's backbone cannot be split
        (:func:`~sim.reward.layers.check_split`).
    """
    kwargs = {**source.weights_kwargs(), "dtype": torch.float32}
    head = reference = None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        if settings.objective == "dpo":
            backbone = AutoModelForCausalLM.from_pretrained(source.path, **kwargs)
            reference = copy.deepcopy(backbone).requires_grad_(False)
        else:
            backbone = AutoModel.from_pretrained(source.path, **kwargs)
            if getattr(backbone, "pooler", None) is not None:
                # Mean pooling replaces BERT's [CLS] pooler, which would never train.
                backbone.pooler = None
            hidden = backbone.config.get_text_config().hidden_size
            head = torch.nn.Linear(hidden, 1)
            with torch.no_grad():
                head.weight.normal_(0.0, hidden**-0.5, generator=generator)
                head.bias.zero_()
    backbone.eval()
    if settings.trainable_layers != "all":
        backbone.requires_grad_(False)
    if settings.trainable_layers not in ("all", 0):
        check_split(backbone)
        trained_part(backbone, settings.trainable_layers).requires_grad_(True)
    modules = [backbone, head, reference]
    backbone, head, reference = (m if m is None else m.to(settings.device) for m in modules)
    return backbone, head, reference


def trained_part(backbone: torch.nn.Module, trainable_layers: int | str) -> torch.nn.Module | None:
    """The part of ``backbone`` that trains: itself ("all"), its top k layers as one module
    list (k >= 1), or None (0)."""
    if trainable_layers == "all":
        return backbone
    if trainable_layers == 0:
        return None
    stack = layer_stack(backbone)
    return torch.nn.ModuleList(stack[len(stack) - trainable_layers :])
