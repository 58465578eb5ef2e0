"""What a frozen part of the backbone outputs for each text, computed once and kept (LRU-bounded).

Below ``trainable_layers="all"`` the lower part of the backbone is pretrained and frozen, so its
output for a (prompt, response) never changes: across epochs, across ``fit`` calls (market
rounds) and in ``score`` / ``accuracy``, and across ``from_scratch`` fits too, since reloading
restores the same pretrained weights. :class:`StateCache` keeps one tensor per text:

- ``trainable_layers=k >= 1`` (:class:`FrozenStates`): h_{L-k}, the hidden states below the
  first trained layer (:mod:`sim.reward.layers`), unpadded, ``[tokens, d]``; a batch re-pads
  them (:func:`~sim.reward.encoding.padded_states`);
- ``trainable_layers=0``, head mode (:class:`PooledEmbeddings`): the pooled last hidden state,
  ``[d]``.

The key is the (prompt, response) text pair alone: a :class:`StateCache` belongs to one model,
whose backbone, ``max_length`` (truncation), split point and precision are fixed. Values are stored
in ``cache_dtype`` (float32 is exact; bfloat16 halves the memory and rounds each value to 8
significant bits) and handed out as float32. The bound, ``cache_mb`` MiB over the stored
tensors' bytes, is kept by evicting the least recently used texts.

Every model of a process draws its missing values from one :class:`SharedStates` per frozen
part (backbone, ``max_length``, split point, precision, threads, device), which computes them
without gradients so that a text's value is the same to the last bit whichever texts were
computed with it and whichever models ran before in the process: a market's results do not
depend on what else ran in its process (a sweep worker's earlier runs), and a process that
runs many markets on one corpus computes each text once. On the CPU each text is computed
alone, in a pass of its own (batched with other texts, padding changes the matrix shapes and
so the rounding: values differ by about 1e-5). On a GPU, where a pass of one text costs
kernel launches rather than arithmetic, texts are computed ``GPU_PASS_TEXTS`` at a time in
passes of one fixed shape (every text padded to ``max_length``, a short pass filled up with
copies), so every text meets the same kernels whatever shares its pass; rows of a matrix
product and each text's attention do not mix, so the value is again independent of the
company (``bench/bench_gpu.py`` checks it on the GPU). An evicted text comes back identical.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

import torch

from sim.reward.encoding import TextEncoder, TextKey
from sim.reward.layers import layer_stack, lower_states
from sim.reward.settings import RewardSettings

STORAGE = {"float32": torch.float32, "bfloat16": torch.bfloat16}
MIB = 2**20
GPU_PASS_TEXTS = 64
"""Texts per fixed-shape pass when a GPU computes frozen values."""


class Compute(Protocol):
    """The frozen part: the value of each of some tokenised keys under a backbone (padded to
    ``width`` tokens, or to the longest), and how many numbers a key's value holds."""

    encoder: TextEncoder

    def __call__(
        self, backbone: torch.nn.Module, keys: list[TextKey], width: int | None = None
    ) -> list[torch.Tensor]: ...

    def numbers(self, key: TextKey) -> int: ...


class StateCache:
    """Per-text tensors of a frozen part of the backbone, least recently used evicted first.

    Parameters
    ----------
    encoder : TextEncoder
        Tokenises and pads the texts.
    compute : Compute
        The frozen part: :class:`FrozenStates` or :class:`PooledEmbeddings`.
    bound_mb : float
        Most MiB the stored tensors may take.
    dtype : {"float32", "bfloat16"}
        How values are stored.
    shared : SharedStates
        Where missing values come from.
    """

    def __init__(
        self,
        encoder: TextEncoder,
        compute: Compute,
        bound_mb: float,
        dtype: str,
        shared: SharedStates,
    ) -> None:
        self._encoder = encoder
        self._compute = compute
        self._bound = bound_mb * MIB
        self._dtype = STORAGE[dtype]
        self._shared = shared
        self._values: OrderedDict[TextKey, torch.Tensor] = OrderedDict()
        self.bytes_ = 0
        self.peak_bytes_ = 0
        self.computed_ = 0
        self.evicted_ = 0

    def __len__(self) -> int:
        return len(self._values)

    @property
    def n_frozen(self) -> int:
        """Layers below the cached states (caches of :class:`FrozenStates` only)."""
        return self._compute.n_frozen

    def __contains__(self, key: TextKey) -> bool:
        return key in self._values

    def get(self, backbone: torch.nn.Module, keys: list[TextKey]) -> list[torch.Tensor]:
        """The float32 value of each of ``keys``, computing the missing ones with ``backbone``
        (each distinct key once); the keys become the most recently used."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._values]
        found = {}
        if missing:
            self._encoder.tokenize_missing(missing)
            values = self._shared.get(self._compute, backbone, missing)
            for key, value in zip(missing, values, strict=True):
                found[key] = self._store(key, value)
            self.computed_ += len(missing)
        for key in keys:
            if key in self._values:
                self._values.move_to_end(key)
                found.setdefault(key, self._values[key])
        self._evict()
        return [found[key].float() for key in keys]

    def info(self: StateCache | None) -> dict[str, float]:
        """``texts`` held, ``mb`` and ``peak_mb`` (MiB of stored tensors), ``computed`` (texts
        this cache had to fetch: computed, or taken from the process's shared store) and
        ``evicted`` texts so far; all zero for no cache (None)."""
        if self is None:
            return {"texts": 0, "mb": 0.0, "peak_mb": 0.0, "computed": 0, "evicted": 0}
        return {
            "texts": len(self._values),
            "mb": self.bytes_ / MIB,
            "peak_mb": self.peak_bytes_ / MIB,
            "computed": self.computed_,
            "evicted": self.evicted_,
        }

    def fits(self, keys: list[TextKey]) -> bool:
        """Whether the values of tokenised ``keys`` fit the bound together."""
        numbers = sum(self._compute.numbers(key) for key in set(keys))
        return numbers * (torch.finfo(self._dtype).bits // 8) <= self._bound

    def _store(self, key: TextKey, value: torch.Tensor) -> torch.Tensor:
        stored = value.to(self._dtype)  # the shared tensor itself where the dtypes agree
        self._values[key] = stored
        self.bytes_ += stored.numel() * stored.element_size()
        self.peak_bytes_ = max(self.peak_bytes_, self.bytes_)
        return stored

    def _evict(self) -> None:
        while self.bytes_ > self._bound and self._values:
            _, value = self._values.popitem(last=False)
            self.bytes_ -= value.numel() * value.element_size()
            self.evicted_ += 1


class FrozenStates:
    """h_{n_frozen} of each text, unpadded: its embeddings, then ``n_frozen`` layers."""

    def __init__(self, encoder: TextEncoder, n_frozen: int, width: int) -> None:
        self.encoder, self.n_frozen, self.width = encoder, n_frozen, width

    def __call__(
        self, backbone: torch.nn.Module, keys: list[TextKey], width: int | None = None
    ) -> list[torch.Tensor]:
        hidden = lower_states(backbone, self.encoder.padded(keys, width), self.n_frozen)
        return [hidden[i, : self.encoder.length(key)] for i, key in enumerate(keys)]

    def numbers(self, key: TextKey) -> int:
        return self.width * self.encoder.length(key)


class PooledEmbeddings:
    """The pooled last hidden state of each text under the whole (frozen) backbone."""

    def __init__(self, encoder: TextEncoder, width: int) -> None:
        self.encoder, self.width = encoder, width

    def __call__(
        self, backbone: torch.nn.Module, keys: list[TextKey], width: int | None = None
    ) -> list[torch.Tensor]:
        return list(self.encoder.pooled(backbone, keys, width=width))

    def numbers(self, key: TextKey) -> int:
        return self.width


class SharedStates:
    """One frozen part's values for a whole process, each text computed alone, or with
    ``fixed_shape`` in passes of ``GPU_PASS_TEXTS`` texts padded to ``max_length``.

    Least recently used texts are evicted beyond ``bound_mb`` MiB (raised to the largest
    bound any model asked for); a model's own cache keeps the values it holds.
    """

    def __init__(self, bound_mb: float, fixed_shape: bool = False) -> None:
        self.bound_mb = bound_mb
        self.fixed_shape = fixed_shape
        self._values: OrderedDict[TextKey, torch.Tensor] = OrderedDict()
        self._bytes = 0

    def get(
        self, compute: Compute, backbone: torch.nn.Module, keys: list[TextKey]
    ) -> list[torch.Tensor]:
        """The values of distinct tokenised ``keys``, computing the missing ones by
        ``compute``: each alone, or in fixed-shape passes (``fixed_shape``, on a GPU)."""
        missing = [key for key in keys if key not in self._values]
        fixed = self.fixed_shape
        passes = _fixed_passes(missing) if fixed else [[key] for key in missing]
        width = compute.encoder.max_length if fixed else None
        for members in passes:
            with torch.inference_mode():
                values = compute(backbone, members, width)
            for key, value in zip(dict.fromkeys(members), values, strict=False):
                self._add(key, value.clone())
        found = [self._values[key] for key in keys]
        for key in keys:
            self._values.move_to_end(key)
        self._evict()
        return found

    def _add(self, key: TextKey, value: torch.Tensor) -> None:
        self._values[key] = value
        self._bytes += value.numel() * value.element_size()

    def _evict(self) -> None:
        while self._bytes > self.bound_mb * MIB and len(self._values) > 1:
            _, old = self._values.popitem(last=False)
            self._bytes -= old.numel() * old.element_size()


def _fixed_passes(keys: list[TextKey]) -> list[list[TextKey]]:
    """``keys`` in passes of exactly ``GPU_PASS_TEXTS`` texts, the last filled up with copies
    of its final key (their values are dropped)."""
    passes = [keys[i : i + GPU_PASS_TEXTS] for i in range(0, len(keys), GPU_PASS_TEXTS)]
    if passes:
        passes[-1] = passes[-1] + [passes[-1][-1]] * (GPU_PASS_TEXTS - len(passes[-1]))
    return passes


_SHARED: dict[tuple, SharedStates] = {}
"""The process's :class:`SharedStates`, by what fixes a frozen part's values."""


def clear_shared_states() -> None:
    """Forget every shared value: needed only after changing a backbone's frozen weights in
    place (``RewardModel.network`` is for reading), whose values would otherwise be served."""
    _SHARED.clear()


def shared_states(settings: RewardSettings, source, part: str) -> SharedStates:
    """The process's store for ``part`` of ``source``'s backbone under ``settings``' truncation,
    precision, threads and device (each changes the values, their rounding or where they are
    kept)."""
    identity = (
        source,
        settings.max_length,
        part,
        settings.precision,
        settings.torch_threads,
        settings.device,
    )
    fixed_shape = settings.device != "cpu"
    shared = _SHARED.setdefault(identity, SharedStates(settings.cache_mb, fixed_shape))
    shared.bound_mb = max(shared.bound_mb, settings.cache_mb)
    return shared


def state_cache(
    settings: RewardSettings,
    source,
    encoder: TextEncoder,
    backbone: torch.nn.Module,
    width: int,
) -> StateCache | None:
    """The cache of a model's frozen part: pooled embeddings (``trainable_layers=0``), the
    states below the top k trained layers (k), or none ("all"); ``width`` is the hidden size,
    ``source`` the backbone's ``BackboneSource``."""
    layers = settings.trainable_layers
    if layers == "all":
        return None
    if layers == 0:
        compute, part = PooledEmbeddings(encoder, width), "pooled"
    else:
        n_frozen = len(layer_stack(backbone)) - layers
        compute, part = FrozenStates(encoder, n_frozen, width), f"below layer {n_frozen}"
    shared = shared_states(settings, source, part)
    return StateCache(encoder, compute, settings.cache_mb, settings.cache_dtype, shared)
