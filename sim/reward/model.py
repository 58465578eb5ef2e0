"""A reward model trained on purchased preference labels: a real pretrained LM plus a linear head.

The reward of a response y to a prompt x is

    r(x, y) = w . h(x, y) + b

where h is the pooled last hidden state of the backbone (:mod:`sim.reward.encoding`). Training
minimises the weighted Bradley-Terry loss, or uses DPO's implicit reward on a causal backbone
(:mod:`sim.reward.objectives`), with AdamW at a constant learning rate. Accuracy is reported the
same way for both objectives: the share of pairs whose chosen response gets the strictly higher
reward (TRL's ``accuracy``; ties count as misses).

Modes: ``"finetune"`` trains every backbone weight and the head; ``"head"`` freezes the backbone,
embeds each unique (prompt, response) once, caches the embedding, and trains only the head.

Assumptions where the sources are silent: dropout is switched off during training (as TRL's
``disable_dropout=True`` default), so a seed fixes the whole run; the head is initialised from
N(0, 1/d); successive ``fit`` calls continue from the current weights and optimiser state;
``from_scratch=True`` reloads the pretrained backbone and a fresh head.

Throughput: batches are encoded as :mod:`sim.reward.batching` says, evaluation runs under
``torch.inference_mode``, and AdamW uses torch's fused kernel (the same update as the
per-tensor loop, in one pass).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import safetensors
import torch
from tqdm.auto import tqdm
from transformers import AutoModel, AutoModelForCausalLM

from sim.reward import checkpoints
from sim.reward.backbones import BackboneSource, is_causal, one_line
from sim.reward.batching import epoch_batches, text_passes
from sim.reward.encoding import EmbeddingCache, TextEncoder, TextKey
from sim.reward.inputs import pair_keys, pair_weights, text_keys
from sim.reward.objectives import ReferenceLogp, bradley_terry_loss
from sim.reward.settings import SAVED_SETTINGS, RewardSettings, SettingError, checked

PROGRESS_DELAY_S = 3.0


class RewardModel:
    """Reward model on a pretrained backbone, trained with Bradley-Terry or DPO loss.

    Parameters
    ----------
    settings : RewardSettings, optional
        Every setting (see :class:`~sim.reward.settings.RewardSettings`); default all defaults.
    **fields
        Settings given by name, replacing those of ``settings``:
        ``RewardModel(mode="head", seed=1)``.

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
                "settings by name, e.g. RewardModel(backbone='minilm', mode='head')"
            )
        settings = RewardSettings() if settings is None else settings
        self._settings, self._source, config = checked(settings.replace(**fields))
        self.causal_ = is_causal(config)
        self._encoder = TextEncoder(self._source, self._settings.max_length, self.causal_)
        self._embeddings = EmbeddingCache(self._encoder, self._settings.eval_batch_size)
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

    def _initialise_weights(self) -> None:
        """Load the pretrained backbone, draw a fresh head, and reset the optimiser."""
        settings = self._settings
        self._generator = torch.Generator().manual_seed(settings.seed)
        self._backbone, self._head, self._reference = _pretrained(
            self._source, settings, self._generator
        )
        # Cached embeddings (head mode) and reference log-probabilities (DPO) come from the
        # pretrained weights, which reloading restores, so both caches stay valid.
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
        with _torch_threads(self._settings.torch_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(2**62, (1,), generator=self._generator)))
            if self._settings.mode == "head":
                self._fit_head(keys_chosen, keys_rejected, loss_weights)
            else:
                self._fit_finetune(keys_chosen, keys_rejected, loss_weights)
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

        In ``head`` mode only the head is stored; the frozen backbone is reloaded from its
        source. Optimiser state is not stored: a loaded model fits on with a fresh AdamW.

        Raises
        ------
        CheckpointError
            When a weight is NaN or infinite, or the folder cannot be written.
        """
        folder = Path(directory)
        settings = {name: getattr(self._settings, name) for name in SAVED_SETTINGS}
        modules = checkpoints.stored_modules(self._settings.mode, self._head, self._backbone)
        checkpoints.write_checkpoint(folder, modules, settings, self.n_pairs_fitted_)
        return folder

    @classmethod
    def load(cls, directory: str | os.PathLike, **overrides) -> RewardModel:
        """Rebuild a model written by :meth:`save`; ``overrides`` replace runtime settings
        (``RUNTIME_SETTINGS``: ``torch_threads``, ``progress``, ``deduplicate_texts``,
        ``sort_by_length``).

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
        modules = checkpoints.stored_modules(model.settings.mode, model.head, model.network)
        for name, module in modules.items():
            checkpoints.load_weights(module, folder / name)
        model.n_pairs_fitted_ = fitted
        return model

    def _fit_head(
        self, keys_chosen: list[TextKey], keys_rejected: list[TextKey], weights: torch.Tensor
    ) -> None:
        unique = list(dict.fromkeys(keys_chosen + keys_rejected))
        self._embeddings.add_missing(self._backbone, unique)
        row = {key: i for i, key in enumerate(unique)}
        embeddings = self._embeddings.stacked(unique)
        chosen_rows = torch.tensor([row[key] for key in keys_chosen])
        rejected_rows = torch.tensor([row[key] for key in keys_rejected])
        n_pairs = len(keys_chosen)
        n_batches = -(-n_pairs // self._settings.batch_size)
        with _progress_bar(self._settings, self._settings.epochs * n_batches) as bar:
            for _ in range(self._settings.epochs):
                order = torch.randperm(n_pairs, generator=self._generator)
                for batch in order.split(self._settings.batch_size):
                    rewards_chosen = self._head(embeddings[chosen_rows[batch]]).squeeze(-1)
                    rewards_rejected = self._head(embeddings[rejected_rows[batch]]).squeeze(-1)
                    self._step(rewards_chosen - rewards_rejected, weights[batch])
                    bar.update()

    def _fit_finetune(
        self, keys_chosen: list[TextKey], keys_rejected: list[TextKey], weights: torch.Tensor
    ) -> None:
        settings = self._settings
        self._tokenize(keys_chosen + keys_rejected)
        n_batches = -(-len(keys_chosen) // settings.batch_size)
        with _progress_bar(settings, settings.epochs * n_batches) as bar:
            for _ in range(settings.epochs):
                for batch in epoch_batches(
                    keys_chosen,
                    keys_rejected,
                    settings.batch_size,
                    settings.group_comparisons,
                    self._generator,
                ):
                    batch_keys = [keys_chosen[i] for i in batch] + [keys_rejected[i] for i in batch]
                    rewards = self._batch_rewards(batch_keys)
                    differences = rewards[: len(batch)] - rewards[len(batch) :]
                    self._step(differences, weights[torch.from_numpy(batch)])
                    bar.update()

    def _batch_rewards(self, keys: list[TextKey]) -> torch.Tensor:
        """Rewards of tokenised ``keys`` with gradients, in the passes of
        :func:`~sim.reward.batching.text_passes`."""
        settings = self._settings
        passes, rows = text_passes(
            keys, self._encoder.length, settings.deduplicate_texts, settings.sort_by_length
        )
        return torch.cat([self._rewards(members) for members in passes])[rows]

    def _step(self, differences: torch.Tensor, weights: torch.Tensor) -> None:
        if weights.sum() <= 0:
            return
        loss = bradley_terry_loss(differences, weights)
        self._optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self._optimizer.step()

    def _score_keys(self, keys: list[TextKey]) -> dict[TextKey, float]:
        """The reward of each distinct key, without gradients, in ``torch_threads`` threads."""
        unique, batch_size = list(dict.fromkeys(keys)), self._settings.eval_batch_size
        with _torch_threads(self._settings.torch_threads):
            if self._settings.mode == "head":
                self._embeddings.add_missing(self._backbone, unique)
                with torch.inference_mode():
                    values = self._head(self._embeddings.stacked(unique)).squeeze(-1).tolist()
                return dict(zip(unique, values, strict=True))
            self._tokenize(unique)
            rewards = {}
            with torch.inference_mode():
                for batch in self._encoder.length_sorted_batches(unique, batch_size):
                    rewards.update(zip(batch, self._rewards(batch).tolist(), strict=True))
        return rewards

    def _tokenize(self, keys: list[TextKey]) -> None:
        """Tokenise ``keys`` and, under DPO, compute their reference log-probabilities."""
        self._encoder.tokenize_missing(keys)
        if self._settings.objective == "dpo":
            self._reference_logp.add_missing(self._reference, keys)

    def _rewards(self, keys: list[TextKey]) -> torch.Tensor:
        """Rewards of tokenised ``keys`` in one forward pass (gradients as the caller allows)."""
        if self._settings.objective == "dpo":
            return self._reference_logp.dpo_rewards(self._backbone, keys, self._settings.beta)
        return self._head(self._encoder.pooled(self._backbone, keys)).squeeze(-1)


def _pretrained(
    source: BackboneSource, settings: RewardSettings, generator: torch.Generator
) -> tuple[torch.nn.Module, torch.nn.Linear | None, torch.nn.Module | None]:
    """The pretrained backbone in eval mode (dropout off; frozen in head mode), a fresh head
    drawn from N(0, 1/d) with ``generator`` (None under DPO) and, under DPO, the frozen
    reference LM."""
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
    if settings.mode == "head":
        backbone.requires_grad_(False)
    return backbone.eval(), head, reference


def _progress_bar(settings: RewardSettings, total: int) -> tqdm:
    return tqdm(
        total=total,
        desc=f"reward model ({settings.backbone}, {settings.mode})",
        unit="step",
        delay=PROGRESS_DELAY_S,
        disable=not settings.progress,
        leave=False,
    )


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch threads, restoring the previous number afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
