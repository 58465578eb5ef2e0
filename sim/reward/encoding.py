"""How (prompt, response) texts reach a backbone: tokenised once, padded per pass, pooled.

The reward head reads h(x, y), the mean-pooled last hidden state of an encoder backbone
(all-MiniLM-L6-v2 by default) or the last-token hidden state of a causal backbone, computed
on the tokenised pair "prompt, response". Every forward pass over texts goes through
:meth:`TextEncoder.hidden_states`, for pooling and for DPO's log-probabilities alike.

Throughput (none of these changes what is computed, up to float rounding):

- every text is tokenised once and the token ids are cached across epochs and ``fit`` calls;
- each pass is padded to its own longest text only (dynamic padding);
- a batch's texts go through the backbone in forward passes of similar length; the split
  minimises padded tokens plus a per-pass overhead (:func:`length_passes`);
- evaluation runs on length-sorted texts (:meth:`TextEncoder.length_sorted_batches`);
- a frozen part of the backbone encodes each text once (:mod:`sim.reward.state_cache`): the
  whole backbone in head mode, the layers below the trained ones in a partial fine-tune,
  whose passes then run only the top layers on the cached states (re-padded here).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from transformers import AutoTokenizer

from sim.reward.backbones import BackboneSource, one_line
from sim.reward.layers import upper_states
from sim.reward.settings import SettingError

PASS_OVERHEAD_TOKENS = 50
"""Fixed cost of one forward+backward pass in token equivalents (MiniLM on 1 CPU thread:
about 39 ms per pass plus 0.73 ms per padded token, so one pass costs what ~50 tokens do)."""

TextKey = tuple[str, str]
"""A (prompt, response) pair of texts."""


class FrozenLower(Protocol):
    """The cached output h_n of a backbone's frozen lower ``n_frozen`` layers, per text
    (:class:`~sim.reward.state_cache.StateCache` of ``FrozenStates``)."""

    n_frozen: int

    def get(self, backbone: torch.nn.Module, keys: list[TextKey]) -> list[torch.Tensor]: ...


@dataclass(frozen=True)
class Tokens:
    """Token ids of one (prompt, response); ``response_start`` is the first response position."""

    ids: tuple[int, ...]
    type_ids: tuple[int, ...] | None
    response_start: int


class TextEncoder:
    """A backbone's tokenizer with a cache of token ids, and the forward pass over texts; the
    padded inputs it makes are on ``device``.

    Raises
    ------
    SettingError
        (field ``backbone``) When the tokenizer in ``source`` cannot be loaded.
    """

    def __init__(
        self, source: BackboneSource, max_length: int, causal: bool, device: str = "cpu"
    ) -> None:
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(
                source.path, **source.from_pretrained_kwargs()
            )
        except (OSError, ValueError) as error:
            raise SettingError(
                "backbone",
                f"cannot load the tokenizer in {source.path} ({one_line(error)}); give a "
                "model folder with its tokenizer files",
            ) from None
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.max_length = max_length
        self.causal = causal
        self.device = torch.device(device)
        self._tokens: dict[TextKey, Tokens] = {}

    def tokens(self, key: TextKey) -> Tokens:
        """The cached tokens of ``key`` (after :meth:`tokenize_missing`)."""
        return self._tokens[key]

    def length(self, key: TextKey) -> int:
        """Tokens in ``key``."""
        return len(self._tokens[key].ids)

    def tokenize_missing(self, keys: list[TextKey]) -> None:
        """Tokenise and cache the ``keys`` not seen before, truncated to ``max_length``."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._tokens]
        if not missing:
            return
        prompts = [prompt for prompt, _ in missing]
        responses = [response for _, response in missing]
        if not self.causal:
            encoded = self.tokenizer(
                prompts, responses, truncation="longest_first", max_length=self.max_length
            )
            type_ids = encoded.get("token_type_ids")
            for i, key in enumerate(missing):
                ids = encoded["input_ids"][i]
                types = None if type_ids is None else tuple(type_ids[i])
                start = types.index(1) if types is not None and 1 in types else 0
                self._tokens[key] = Tokens(tuple(ids), types, start)
            return
        prompt_ids = self.tokenizer([p + "\n" for p in prompts])["input_ids"]
        response_ids = self.tokenizer(responses, add_special_tokens=False)["input_ids"]
        eos = [] if self.tokenizer.eos_token_id is None else [self.tokenizer.eos_token_id]
        for key, prompt_part, response_part in zip(missing, prompt_ids, response_ids, strict=True):
            response_part = (response_part + eos)[: self.max_length]
            room = self.max_length - len(response_part)
            prompt_part = prompt_part[len(prompt_part) - room :] if room > 0 else []
            self._tokens[key] = Tokens(tuple(prompt_part + response_part), None, len(prompt_part))

    def length_sorted_batches(
        self, keys: list[TextKey], batch_size: int
    ) -> Iterator[list[TextKey]]:
        """``keys`` shortest first, ``batch_size`` at a time."""
        ordered = sorted(keys, key=self.length)
        for start in range(0, len(ordered), batch_size):
            yield ordered[start : start + batch_size]

    def padded(self, keys: list[TextKey], width: int | None = None) -> dict[str, torch.Tensor]:
        """Right-padded model inputs on ``device``, ``width`` tokens wide or as long as the
        longest of ``keys`` (dynamic padding); built on the host and copied over once per
        tensor."""
        tokens = [self._tokens[key] for key in keys]
        width = max(len(t.ids) for t in tokens) if width is None else width
        input_ids = np.full((len(keys), width), self.tokenizer.pad_token_id, dtype=np.int64)
        attention_mask = np.zeros((len(keys), width), dtype=np.int64)
        type_ids = None if tokens[0].type_ids is None else np.zeros_like(input_ids)
        for i, t in enumerate(tokens):
            input_ids[i, : len(t.ids)] = t.ids
            attention_mask[i, : len(t.ids)] = 1
            if type_ids is not None:
                type_ids[i, : len(t.ids)] = t.type_ids
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if type_ids is not None:
            inputs["token_type_ids"] = type_ids
        return {name: torch.from_numpy(array).to(self.device) for name, array in inputs.items()}

    def hidden_states(
        self,
        model: torch.nn.Module,
        keys: list[TextKey],
        frozen: FrozenLower | None = None,
        width: int | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The forward pass: the last hidden states of ``model``'s transformer (embeddings,
        then its layers) over the padded ``keys``, with the inputs that produced them (at
        least the attention mask), padded to ``width`` tokens or to the longest key.

        With ``frozen``, the lower layers' output comes from it, padded
        (:func:`padded_states`), and only the layers above run here
        (:func:`~sim.reward.layers.upper_states`): the same states up to float rounding.
        """
        if frozen is None:
            inputs = self.padded(keys, width)
            return model.base_model(**inputs).last_hidden_state, inputs
        hidden, mask = padded_states(frozen.get(model, keys))
        return upper_states(model, hidden, mask, frozen.n_frozen), {"attention_mask": mask}

    def pooled(
        self,
        model: torch.nn.Module,
        keys: list[TextKey],
        frozen: FrozenLower | None = None,
        width: int | None = None,
    ) -> torch.Tensor:
        """Mean-pooled (encoder) or last-token (causal) final hidden states of ``keys``:
        sum_t m_t h_t / sum_t m_t over the attention mask m, or h at the last real token."""
        hidden, inputs = self.hidden_states(model, keys, frozen, width)
        mask = inputs["attention_mask"]
        if self.causal:
            last = mask.sum(dim=1) - 1
            return hidden[torch.arange(len(keys), device=hidden.device), last]
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1)


def padded_states(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Unpadded ``[tokens_i, d]`` states right-padded with zeros into a float32
    ``[texts, tokens, d]`` on their device, with the attention mask (1 on each text's
    tokens)."""
    hidden = torch.nn.utils.rnn.pad_sequence(states, batch_first=True).float()
    lengths = torch.tensor([len(state) for state in states], device=hidden.device)
    positions = torch.arange(hidden.shape[1], device=hidden.device)
    mask = (positions < lengths.unsqueeze(1)).long()
    return hidden, mask


def length_passes(
    lengths: Sequence[int], overhead_tokens: int = PASS_OVERHEAD_TOKENS
) -> list[list[int]]:
    """Split texts of token ``lengths`` into forward passes at the least padded cost.

    A pass over texts padded to its longest costs ``n * max(length) + overhead_tokens`` token
    slots. Sorted by length, an optimal split is contiguous, and dynamic programming over the
    split points finds it exactly (O(n^2), n <= 2 x batch size):
    ``cost[j] = min_i cost[i] + (j - i) * sorted_length[j - 1] + overhead_tokens``.
    Returns lists of indices into ``lengths``, each list one pass.
    """
    order = np.argsort(np.asarray(lengths), kind="stable")
    ordered = np.asarray(lengths)[order]
    cost = np.zeros(len(order) + 1)
    start = np.zeros(len(order) + 1, dtype=np.int64)
    for end in range(1, len(order) + 1):
        candidates = cost[:end] + (end - np.arange(end)) * ordered[end - 1] + overhead_tokens
        start[end] = int(np.argmin(candidates))
        cost[end] = candidates[start[end]]
    passes, end = [], len(order)
    while end > 0:
        passes.append(order[start[end] : end].tolist())
        end = start[end]
    return passes[::-1]
