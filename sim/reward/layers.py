"""An encoder backbone run in two parts: the frozen bottom once per text, the trained top per step.

A BERT-family encoder computes its last hidden state as

    h_0 = embeddings(ids, token types, positions),   h_i = layer_i(h_{i-1}, B),   i = 1..L

where B is the attention bias built from the padding mask alone (``BertModel.forward`` in
transformers 5.x: ``create_bidirectional_mask(config, inputs_embeds=h_0, attention_mask)``).
Each text's rows of h_i depend only on that text (padded key positions are masked out), so
with the lower ``n = L - k`` layers frozen, h_n of each (prompt, response) can be computed once,
stored unpadded, re-padded into any later batch, and run through layers n+1..L there
(:func:`upper_states`); :func:`lower_states` + :func:`upper_states` equals
``model(**inputs).last_hidden_state`` up to float rounding, as the tests check, and
:func:`check_split` checks it on each backbone before it is trusted.

Causal backbones are not split (their rotary positions and causal masks would need the same
care); the settings refuse a partial fine-tune of one.
"""

from __future__ import annotations

import torch
from transformers.masking_utils import create_bidirectional_mask

from sim.reward.settings import SettingError

SPLIT_TOLERANCE = 1e-4
"""Largest difference allowed between the split and the whole forward pass (float32)."""


def layer_stack(backbone: torch.nn.Module) -> torch.nn.ModuleList:
    """The transformer layers of an encoder backbone (``encoder.layer``), bottom first."""
    return backbone.base_model.encoder.layer


def lower_states(
    backbone: torch.nn.Module, inputs: dict[str, torch.Tensor], n_frozen: int
) -> torch.Tensor:
    """h_n: the embeddings of padded ``inputs``, then the lowest ``n_frozen`` layers."""
    base = backbone.base_model
    hidden = base.embeddings(
        input_ids=inputs["input_ids"], token_type_ids=inputs.get("token_type_ids")
    )
    return _run_layers(base, hidden, inputs["attention_mask"], range(n_frozen))


def upper_states(
    backbone: torch.nn.Module, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int
) -> torch.Tensor:
    """h_L from h_start: layers start+1..L over padded states ``hidden`` [texts, tokens, d]."""
    base = backbone.base_model
    return _run_layers(base, hidden, attention_mask, range(start, len(layer_stack(base))))


def _run_layers(base, hidden, attention_mask, layers: range) -> torch.Tensor:
    # The bias as BertModel.forward builds it: from the padding mask, with h's dtype and shape.
    bias = create_bidirectional_mask(
        config=base.config, inputs_embeds=hidden, attention_mask=attention_mask
    )
    stack = layer_stack(base)
    for i in layers:
        hidden = stack[i](hidden, bias)
    return hidden


def check_split(backbone: torch.nn.Module) -> None:
    """Refuse a backbone whose layers cannot be run one by one as :func:`lower_states` and
    :func:`upper_states` do (compared with its whole forward pass on two short texts, one
    padded).

    Raises
    ------
    SettingError
        (field ``trainable_layers``) When the backbone has no BERT-style ``embeddings`` and
        ``encoder.layer`` or is a decoder, or the split result differs.
    """
    base = backbone.base_model
    shaped = hasattr(base, "embeddings") and hasattr(getattr(base, "encoder", None), "layer")
    if not shaped or getattr(base.config, "is_decoder", False):
        raise SettingError(
            "trainable_layers",
            f"backbone {type(base).__name__} has no BERT-style embeddings and encoder layers "
            "to split; give trainable_layers=0 or 'all'",
        )
    vocab = base.config.get_text_config().vocab_size
    ids = (torch.arange(12).reshape(2, 6) * 7919 + 101) % vocab
    mask = torch.tensor([[1] * 6, [1] * 4 + [0] * 2])
    inputs = {"input_ids": ids, "attention_mask": mask}
    with torch.inference_mode():
        whole = base(**inputs).last_hidden_state
        middle = len(layer_stack(base)) // 2
        split = upper_states(backbone, lower_states(backbone, inputs, middle), mask, middle)
    error = float((whole - split)[mask.bool()].abs().max())
    if not error <= SPLIT_TOLERANCE:
        raise SettingError(
            "trainable_layers",
            f"backbone {type(base).__name__}'s layers run one by one differ from its whole "
            f"forward pass by {error:.2g}; give trainable_layers=0 or 'all'",
        )
