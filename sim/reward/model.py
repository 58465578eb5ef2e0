"""A reward model trained on purchased preference labels: a real pretrained LM plus a linear head.

The reward of a response y to a prompt x is

    r(x, y) = w . h(x, y) + b

where h is the pooled last hidden state of the backbone (:mod:`sim.reward.encoding`). Training
minimises the weighted Bradley-Terry loss, or uses DPO's implicit reward on a causal backbone
(:mod:`sim.reward.objectives`), with AdamW at a constant learning rate. Accuracy is reported the
same way for both objectives: the share of pairs whose chosen response gets the strictly higher
reward (TRL's ``accuracy``; ties count as misses).

What trains is ``trainable_layers`` (:mod:`sim.reward.network`): ``"all"`` trains every
backbone weight and the head; k the top k layers and the head, on the frozen lower layers'
output for each distinct text, computed once and cached (:mod:`sim.reward.state_cache`); 0 only
the head, on each text's cached pooled embedding. The loops are in :mod:`sim.reward.training`.

Assumptions where the sources are silent: dropout is switched off during training (as TRL's
``disable_dropout=True`` default), so a seed fixes the whole run; the head is initialised from
N(0, 1/d); successive ``fit`` calls continue from the current weights and optimiser state;
``from_scratch=True`` reloads the pretrained backbone and a fresh head.

Device: ``device`` (:mod:`sim.reward.devices`) holds the backbone, head, cached states,
optimiser state and every forward pass; the generator that draws the head and the batches
stays on the CPU. Weights load in float32 whatever dtype the files store.

Throughput: every distinct text is tokenised once and its ids kept; batches are encoded as
:mod:`sim.reward.batching` says, evaluation runs under ``torch.inference_mode`` in
``eval_batch_size`` texts a pass, AdamW uses torch's fused kernel (the same update as the
per-tensor loop, in one pass), a step reads no value back from the device (its inputs and
indices go over in a few small copies), and ``precision="bf16"`` runs forward passes under bf16
autocast (:mod:`sim.reward.runtime`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import safetensors
import torch

from sim.reward import checkpoints
from sim.reward.backbones import is_causal, one_line
from sim.reward.batching import text_passes
from sim.reward.encoding import TextEncoder, TextKey
from sim.reward.inputs import pair_keys, pair_weights, text_keys
from sim.reward.network import pretrained
from sim.reward.objectives import ReferenceLogp
from sim.reward.runtime import autocast, private_rng, torch_threads
from sim.reward.settings import SAVED_SETTINGS, RewardSettings, SettingError, checked
from sim.reward.state_cache import StateCache, state_cache
from sim.reward.training import train_head, train_pairs


class RewardModel:
    """Reward model on a pretrained backbone, trained with Bradley-Terry or DPO loss.

    Parameters
    ----------
    settings : RewardSettings, optional
        Every setting (see :class:`~sim.reward.settings.RewardSettings`); default all defaults.
    **fields
        Settings given by name, replacing those of ``settings``:
        ``RewardModel(trainable_layers=0, seed=1)``.

    Raises
    ------
    SettingError
        For a setting that is unknown or out of its range (see
        :func:`~sim.reward.settings.check_settings`), naming the setting.
    """

    def __init__(self, settings: RewardSettings | None = None, **fields) -> None:
        if not isinstance(settings, RewardSettings | None):
            raise TypeError(
                f"settings: got {type(settings).__name__}; give a RewardSettings, or the "
                "settings by name, e.g. RewardModel(backbone='minilm', trainable_layers=0)"
            )
        settings = RewardSettings() if settings is None else settings
        self._settings, self._source, config = checked(settings.replace(**fields))
        self.causal_ = is_causal(config)
        self._encoder = TextEncoder(
            self._source, self._settings.max_length, self.causal_, self._settings.device
        )
        self._reference_logp = ReferenceLogp(self._encoder, self._settings.eval_batch_size)
        self.n_pairs_fitted_ = 0
        try:
            self._initialise_weights()
        except (OSError, safetensors.SafetensorError) as error:
            raise SettingError(
                "backbone",
                f"cannot load the weights in {self._source.path} ({one_line(error)}); give a "
                "model folder with intact safetensors weights",
            ) from None
        width = config.get_text_config().hidden_size
        self._cache = state_cache(
            self._settings, self._source, self._encoder, self._backbone, width
        )

    def _initialise_weights(self) -> None:
        """Load the pretrained backbone, draw a fresh head, and reset the optimiser."""
        settings = self._settings
        self._generator = torch.Generator().manual_seed(settings.seed)
        self._backbone, self._head, self._reference = pretrained(
            self._source, settings, self._generator
        )
        # Cached frozen states and reference log-probabilities (DPO) come from the pretrained
        # weights, which reloading restores, so both caches stay valid.
        modules = [module for module in (self._backbone, self._head) if module is not None]
        trained = [p for module in modules for p in module.parameters() if p.requires_grad]
        # The fused kernel runs the same AdamW update as the per-tensor loop, several times faster.
        self._optimizer = torch.optim.AdamW(
            trained, lr=settings.learning_rate, weight_decay=0.0, fused=True
        )
        self.n_pairs_fitted_ = 0

    @property
    def settings(self) -> RewardSettings:
        """The checked settings, every default filled in."""
        return self._settings

    @property
    def network(self) -> torch.nn.Module:
        """The torch backbone (the policy LM under DPO); read it, do not train it directly."""
        return self._backbone

    @property
    def head(self) -> torch.nn.Linear | None:
        """The linear reward head (None under DPO, whose reward is implicit)."""
        return self._head

    def cache_info(self) -> dict[str, float]:
        """The frozen-state cache (:meth:`~sim.reward.state_cache.StateCache.info`)."""
        return StateCache.info(self._cache)

    def fit(
        self,
        pairs: pd.DataFrame,
        weights: Sequence[float] | np.ndarray | None = None,
        from_scratch: bool = False,
    ) -> RewardModel:
        """Train on ``pairs`` (columns ``prompt, chosen, rejected``) for ``epochs`` passes.

        Continues from the current weights unless ``from_scratch``. ``weights`` are optional
        non-negative per-pair loss weights (the loss is their weighted mean).
        """
        keys_chosen, keys_rejected = pair_keys(pairs)
        loss_weights = pair_weights(weights, len(keys_chosen))
        if from_scratch:
            self._initialise_weights()
        settings = self._settings
        with torch_threads(settings.torch_threads), private_rng(self._generator, settings.device):
            if settings.trainable_layers == 0:
                self._fit_head(keys_chosen, keys_rejected, loss_weights)
            else:
                self._prepare(keys_chosen + keys_rejected)
                loop = (self._optimizer, settings, self._generator)
                train_pairs(keys_chosen, keys_rejected, loss_weights, self._batch_rewards, *loop)
        self.n_pairs_fitted_ += len(keys_chosen)
        return self

    def score(self, prompts: Sequence[str] | str, texts: Sequence[str]) -> np.ndarray:
        """Rewards of ``texts`` as answers to ``prompts`` (one prompt, or one per text)."""
        keys = text_keys(prompts, texts)
        rewards = self._score_keys(keys)
        return np.array([rewards[key] for key in keys], dtype=np.float64)

    def accuracy(self, pairs: pd.DataFrame) -> float:
        """Share of ``pairs`` whose chosen response scores strictly higher than the rejected."""
        keys_chosen, keys_rejected = pair_keys(pairs)
        rewards = self._score_keys(keys_chosen + keys_rejected)
        wins = [rewards[c] > rewards[r] for c, r in zip(keys_chosen, keys_rejected, strict=True)]
        return float(np.mean(wins))

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the trained weights (safetensors) and the settings (JSON, ``SAVED_SETTINGS``),
        atomically, as :func:`~sim.reward.checkpoints.write_checkpoint` says.

        Only what trains is stored (:func:`~sim.reward.checkpoints.stored_modules`): the head,
        and the whole backbone or its top layers; frozen weights are reloaded from the source.
        Optimiser state is not stored: a loaded model fits on with a fresh AdamW.

        Raises
        ------
        CheckpointError
            When a weight is NaN or infinite, or the folder cannot be written.
        """
        folder = Path(directory)
        settings = {name: getattr(self._settings, name) for name in SAVED_SETTINGS}
        modules = checkpoints.stored_modules(
            self._settings.trainable_layers, self._head, self._backbone
        )
        checkpoints.write_checkpoint(folder, modules, settings, self.n_pairs_fitted_)
        return folder

    @classmethod
    def load(cls, directory: str | os.PathLike, **overrides) -> RewardModel:
        """Rebuild a model written by :meth:`save`; ``overrides`` replace runtime settings
        (``RUNTIME_SETTINGS``: threads, progress, throughput switches, cache, precision).

        Only the JSON config and safetensors files are read, never pickle (see
        :mod:`sim.reward.checkpoints`); the stored settings pass the constructor's checks.

        Raises
        ------
        MissingCheckpointError
            (a ``FileNotFoundError``) When the folder, its JSON config or a weights file is
            missing (the path is named).
        CheckpointError
            When a file is unreadable or corrupted, has an unknown or out-of-range setting,
            holds non-finite weights or does not fit the model (the path is named).
        SettingError
            When an override is not a runtime setting or is out of range.
        """
        checkpoints.check_overrides(overrides)
        folder = Path(directory)
        settings, fitted = checkpoints.read_config(folder)
        try:
            model = cls(**settings, **overrides)
        except SettingError as error:
            if error.field in overrides:
                raise
            raise checkpoints.bad_setting(folder, error) from None
        layers = model.settings.trainable_layers
        for name, module in checkpoints.stored_modules(layers, model.head, model.network).items():
            checkpoints.load_weights(module, folder / name)
        model.n_pairs_fitted_ = fitted
        return model

    def _fit_head(
        self, keys_chosen: list[TextKey], keys_rejected: list[TextKey], weights: torch.Tensor
    ) -> None:
        unique = list(dict.fromkeys(keys_chosen + keys_rejected))
        with autocast(self._settings):
            embeddings = torch.stack(self._cache.get(self._backbone, unique))
        row = {key: i for i, key in enumerate(unique)}
        device = embeddings.device
        chosen_rows = torch.tensor([row[key] for key in keys_chosen], device=device)
        rejected_rows = torch.tensor([row[key] for key in keys_rejected], device=device)
        loop = (self._optimizer, self._settings, self._generator)
        train_head(embeddings, chosen_rows, rejected_rows, weights, self._head, *loop)

    def _batch_rewards(self, keys: list[TextKey]) -> torch.Tensor:
        """Rewards of tokenised ``keys`` with gradients, in the passes of
        :func:`~sim.reward.batching.text_passes`."""
        settings = self._settings
        passes, rows = text_passes(
            keys,
            self._encoder.length,
            settings.deduplicate_texts,
            settings.sort_by_length,
            split=self._encoder.device.type == "cpu",
        )
        return torch.cat([self._rewards(members) for members in passes])[rows]

    def _score_keys(self, keys: list[TextKey]) -> dict[TextKey, float]:
        """The reward of each distinct key, without gradients, in ``torch_threads`` threads."""
        unique, batch_size = list(dict.fromkeys(keys)), self._settings.eval_batch_size
        with torch_threads(self._settings.torch_threads):
            if self._settings.trainable_layers == 0:
                with torch.inference_mode(), autocast(self._settings):
                    embeddings = torch.stack(self._cache.get(self._backbone, unique))
                    values = self._head(embeddings).squeeze(-1).float().tolist()
                return dict(zip(unique, values, strict=True))
            self._prepare(unique)
            rewards = {}
            with torch.inference_mode():
                for batch in self._encoder.length_sorted_batches(unique, batch_size):
                    rewards.update(zip(batch, self._rewards(batch).tolist(), strict=True))
        return rewards

    def _prepare(self, keys: list[TextKey]) -> None:
        """Tokenise ``keys`` and compute what is cached of them: the frozen states, when they
        fit the cache together (else each pass computes its own), and under DPO the reference
        log-probabilities."""
        self._encoder.tokenize_missing(keys)
        if self._frozen() is not None and self._cache.fits(keys):
            with autocast(self._settings):
                self._cache.get(self._backbone, keys)
        if self._settings.objective == "dpo":
            self._reference_logp.add_missing(self._reference, keys)

    def _frozen(self) -> StateCache | None:
        """The frozen states under the trained layers, when they are cached (a partial
        fine-tune with ``cache_frozen_states``)."""
        if self._settings.trainable_layers in ("all", 0):
            return None
        return self._cache if self._settings.cache_frozen_states else None

    def _rewards(self, keys: list[TextKey]) -> torch.Tensor:
        """Rewards of tokenised ``keys`` in one forward pass (gradients as the caller allows)."""
        with autocast(self._settings):
            if self._settings.objective == "dpo":
                rewards = self._reference_logp.dpo_rewards(
                    self._backbone, keys, self._settings.beta
                )
            else:
                pooled = self._encoder.pooled(self._backbone, keys, self._frozen())
                rewards = self._head(pooled).squeeze(-1)
        return rewards.float()
