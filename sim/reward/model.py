"""A reward model trained on purchased preference labels: a real pretrained LM plus a linear head.

The reward of a response y to a prompt x is

    r(x, y) = w . h(x, y) + b

where h is the mean-pooled last hidden state of an encoder backbone (all-MiniLM-L6-v2 by
default) or the last-token hidden state of a causal backbone, computed on the tokenised pair
"prompt, response". Training minimises the weighted Bradley-Terry loss (Bradley & Terry 1952;
Ouyang et al. 2022, eq. 1)

    L = sum_i w_i * -log sigmoid(r(x_i, chosen_i) - r(x_i, rejected_i)) / sum_i w_i

with AdamW at a constant learning rate. Per-pair weights w_i carry, for example, the seed
paper's quality weights w = 0.5 + sigmoid(b_a - b_r) (Zhang & Duan 2024, "QA-DPO").

For a causal backbone the optional DPO objective (Rafailov et al. 2023) uses the same loss on
the implicit reward r(x, y) = beta * (log pi(y | x) - log pi_ref(y | x)), where pi is the
trained LM, pi_ref a frozen copy of the pretrained LM and log pi(y | x) sums the log-probabilities
of the response tokens. Accuracy is reported the same way for both objectives: the share of
pairs whose chosen response gets the strictly higher reward (TRL's ``accuracy``; ties count as
misses).

Modes: ``"finetune"`` trains every backbone weight and the head; ``"head"`` freezes the backbone,
embeds each unique (prompt, response) once, caches the embedding, and trains only the head.

Assumptions where the sources are silent: dropout is switched off during training (as TRL's
``disable_dropout=True`` default), so a seed fixes the whole run; the head is initialised from
N(0, 1/d); successive ``fit`` calls continue from the current weights and optimiser state;
``from_scratch=True`` reloads the pretrained backbone and a fresh head.

Throughput (none of these changes what a batch computes, up to float rounding):

- each unique (prompt, response) in a batch is encoded once and both sides of every pair that
  uses it are scored from that one encoding;
- a batch's unique texts go through the backbone in forward passes of similar length, each
  padded to its own longest text only; the split minimises padded tokens plus a per-pass
  overhead (:func:`length_passes`), all passes feed one backward;
- every text is tokenised once and the token ids are cached across epochs and ``fit`` calls;
- evaluation runs under ``torch.inference_mode`` on length-sorted unique texts;
- AdamW uses torch's fused kernel (the same update as the per-tensor loop, in one pass).

Opt-in, because it changes what is learned: ``group_comparisons=True`` batches the labels of
one comparison (the same prompt and two responses, in either order: several annotators'
labels of one item) together: the comparisons are shuffled, each one's labels follow one
another, and the sequence is cut into batches, so their two texts are encoded once for all
of them. On labels bought 3 per item that trains about 2.3 times as many pairs per second,
but each batch then holds a third as many distinct comparisons, and held-out accuracy
changed by -0.2 +- 0.5 points over six label sets and by -1.1 +- 1.7 over six seeds on one
(mean +- standard error). Grouping whole prompts (Ouyang et al. 2022, sec. 3.5) shares more
texts still, but with 16 pairs a batch held two prompts and accuracy fell by 2.2 +- 0.8
points (6 seeds, 8 comparisons per prompt).
"""

from __future__ import annotations

import copy
import inspect
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
import safetensors
import safetensors.torch
import torch
from tqdm.auto import tqdm
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer, PretrainedConfig

from sim.reward.backbones import (
    PICKLE_SUFFIXES,
    BackboneError,
    BackboneSource,
    backbone_config,
    is_causal,
    position_limit,
    resolve_backbone,
)

PAIR_COLUMNS = ("prompt", "chosen", "rejected")
MODES = ("finetune", "head")
OBJECTIVES = ("bradley_terry", "dpo")
DEFAULT_LEARNING_RATE = {"finetune": 1e-4, "head": 1e-2}
DEFAULT_EPOCHS = {"finetune": 1, "head": 10}
CONFIG_FILE = "reward_model.json"
BACKBONE_FILE = "backbone.safetensors"
HEAD_FILE = "head.safetensors"
CHECKPOINT_FORMAT = 1
SAVED_SETTINGS: tuple[str, ...] = (
    "backbone",
    "mode",
    "learning_rate",
    "epochs",
    "batch_size",
    "max_length",
    "seed",
    "objective",
    "beta",
    "eval_batch_size",
    "group_comparisons",
)
"""Constructor settings a checkpoint stores."""
RUNTIME_SETTINGS: tuple[str, ...] = (
    "torch_threads",
    "progress",
    "deduplicate_texts",
    "sort_by_length",
)
"""Constructor settings that change speed or display only: not stored, given to ``load``."""
SETTINGS = SAVED_SETTINGS + RUNTIME_SETTINGS
MIN_MAX_LENGTH = 8
MAX_SEED = 2**63 - 1
PASS_OVERHEAD_TOKENS = 50
"""Fixed cost of one forward+backward pass in token equivalents (MiniLM on 1 CPU thread:
about 39 ms per pass plus 0.73 ms per padded token, so one pass costs what ~50 tokens do)."""
PROGRESS_DELAY_S = 3.0

TextKey = tuple[str, str]


@dataclass(frozen=True)
class _Tokens:
    """Token ids of one (prompt, response); ``response_start`` is the first response position."""

    ids: tuple[int, ...]
    type_ids: tuple[int, ...] | None
    response_start: int


class SettingError(ValueError):
    """A reward-model setting that is unknown or out of range; nothing was built.

    The message is one line, ``"<field>: <problem>"``, the problem saying what to give instead;
    ``field`` and ``problem`` hold the parts, so that a caller (a config file) can name the
    field its own way, e.g. ``reward_model.max_length``.
    """

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class CheckpointError(ValueError):
    """A checkpoint folder that cannot be loaded or written; the one-line message names the
    file and what to do."""


class MissingCheckpointError(CheckpointError, FileNotFoundError):
    """A checkpoint folder, config or weights file that does not exist."""


def default_torch_threads() -> int:
    """Threads for torch: half the CPUs this process may use, between 1 and 4.

    On small shared machines OpenMP oversubscription costs more than a second thread gains
    (measured here: a MiniLM step took 3.5 times longer with 2 threads than with 1 on a loaded
    2-core machine), and models this small gain little beyond 4 threads.
    """
    return max(1, min(4, len(os.sched_getaffinity(0)) // 2))


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class RewardModel:
    """Reward model on a pretrained backbone, trained with Bradley-Terry or DPO loss.

    Parameters
    ----------
    backbone : str
        ``"minilm"`` (default), ``"smollm2"`` (optional extra) or a local model folder with
        safetensors weights; see :mod:`sim.reward.backbones`.
    mode : {"finetune", "head"}
        Train all weights, or only a linear head on cached frozen embeddings.
    learning_rate : float, optional
        AdamW learning rate, constant; default 1e-4 (finetune) or 1e-2 (head).
    epochs : int, optional
        Passes over the pairs per ``fit`` call; default 1 (finetune) or 10 (head). On 200
        gold pairs of the built-in corpus more passes overfit (held-out accuracy falls).
    batch_size : int
        Pairs per optimiser step.
    max_length : int
        Tokens per (prompt, response), from 8 to the backbone's position limit (512 for
        MiniLM); longer ones are truncated (longest part first for encoders; the prompt's
        start first for causal backbones, so the response is kept).
    seed : int
        Seeds a private ``torch.Generator`` (head init, shuffling); global RNG state is untouched.
        An integer from 0 to 2**63 - 1.
    objective : {"bradley_terry", "dpo"}
        DPO needs a causal backbone and ``mode="finetune"``.
    beta : float
        DPO temperature of the implicit reward.
    torch_threads : int, optional
        Threads used during ``fit``/``score`` (restored afterwards); default
        :func:`default_torch_threads`. Use 1 per process in parallel sweeps.
    progress : bool
        Show a progress bar for fits that run longer than a few seconds.
    deduplicate_texts, sort_by_length : bool
        Throughput switches (see module docstring); off only to measure their gains.
    group_comparisons : bool
        Batch the labels of one comparison together: faster on repeated labels, but it
        changes what is learned (see module docstring).
    eval_batch_size : int
        Texts per forward pass when scoring.

    Raises
    ------
    SettingError
        For a setting out of its range (see :func:`check_settings`), naming the setting.
    """

    def __init__(
        self,
        backbone: str = "minilm",
        mode: str = "finetune",
        learning_rate: float | None = None,
        epochs: int | None = None,
        batch_size: int = 16,
        max_length: int = 128,
        seed: int = 0,
        objective: str = "bradley_terry",
        beta: float = 0.1,
        torch_threads: int | None = None,
        progress: bool = True,
        group_comparisons: bool = False,
        deduplicate_texts: bool = True,
        sort_by_length: bool = True,
        eval_batch_size: int = 64,
    ) -> None:
        given = locals()  # the arguments, before any other local name exists
        settings, self._source, config = _checked_settings({name: given[name] for name in SETTINGS})
        self.backbone = settings["backbone"]
        self.mode = settings["mode"]
        self.learning_rate = settings["learning_rate"]
        self.epochs = settings["epochs"]
        self.batch_size = settings["batch_size"]
        self.max_length = settings["max_length"]
        self.seed = settings["seed"]
        self.objective = settings["objective"]
        self.beta = settings["beta"]
        self.torch_threads = settings["torch_threads"]
        self.progress = settings["progress"]
        self.group_comparisons = settings["group_comparisons"]
        self.deduplicate_texts = settings["deduplicate_texts"]
        self.sort_by_length = settings["sort_by_length"]
        self.eval_batch_size = settings["eval_batch_size"]
        self.causal_ = is_causal(config)
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(
                self._source.path, **self._source.from_pretrained_kwargs()
            )
        except (OSError, ValueError) as error:
            raise SettingError(
                "backbone",
                f"cannot load the tokenizer in {self._source.path} ({_one_line(error)}); give a "
                "model folder with its tokenizer files",
            ) from None
        if self._tokenizer.pad_token_id is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        self._tokens: dict[TextKey, _Tokens] = {}
        self._embeddings: dict[TextKey, torch.Tensor] = {}
        self._reference_logp: dict[TextKey, float] = {}
        self.n_pairs_fitted_ = 0
        try:
            self._initialise_weights()
        except (OSError, safetensors.SafetensorError) as error:
            raise SettingError(
                "backbone",
                f"cannot load the weights in {self._source.path} ({_one_line(error)}); give a "
                "model folder with intact safetensors weights",
            ) from None

    # ------------------------------------------------------------------ weights

    def _initialise_weights(self) -> None:
        """Load the pretrained backbone, draw a fresh head, and reset the optimiser."""
        self._generator = torch.Generator().manual_seed(self.seed)
        kwargs = {**self._source.weights_kwargs(), "dtype": torch.float32}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            if self.objective == "dpo":
                self._backbone = AutoModelForCausalLM.from_pretrained(self._source.path, **kwargs)
                self._reference = copy.deepcopy(self._backbone).requires_grad_(False)
                self._head = None
            else:
                self._backbone = AutoModel.from_pretrained(self._source.path, **kwargs)
                if getattr(self._backbone, "pooler", None) is not None:
                    # Mean pooling replaces BERT's [CLS] pooler, which would never train.
                    self._backbone.pooler = None
                hidden = self._backbone.config.get_text_config().hidden_size
                self._head = torch.nn.Linear(hidden, 1)
                with torch.no_grad():
                    self._head.weight.normal_(0.0, hidden**-0.5, generator=self._generator)
                    self._head.bias.zero_()
        self._backbone.eval()
        # Cached embeddings (head mode) and reference log-probabilities (DPO) come from the
        # pretrained weights, which reloading restores, so both caches stay valid.
        if self.mode == "head":
            self._backbone.requires_grad_(False)
            trained = list(self._head.parameters())
        else:
            trained = list(self._backbone.parameters())
            if self._head is not None:
                trained += list(self._head.parameters())
        # The fused kernel runs the same AdamW update as the per-tensor loop, several times faster.
        self._optimizer = torch.optim.AdamW(
            trained, lr=self.learning_rate, weight_decay=0.0, fused=True
        )
        self.n_pairs_fitted_ = 0

    # ------------------------------------------------------------------ public API

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
        prompts, chosen, rejected = _pair_texts(pairs)
        pair_weights = _pair_weights(weights, len(prompts))
        if from_scratch:
            self._initialise_weights()
        keys_chosen = list(zip(prompts, chosen, strict=True))
        keys_rejected = list(zip(prompts, rejected, strict=True))
        with _torch_threads(self.torch_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(2**62, (1,), generator=self._generator)))
            if self.mode == "head":
                self._fit_head(keys_chosen, keys_rejected, pair_weights)
            else:
                self._fit_finetune(keys_chosen, keys_rejected, pair_weights)
        self.n_pairs_fitted_ += len(prompts)
        return self

    def score(self, prompts: Sequence[str] | str, texts: Sequence[str]) -> np.ndarray:
        """Rewards of ``texts`` as answers to ``prompts`` (one prompt, or one per text)."""
        texts = _string_list("texts", texts)
        if isinstance(prompts, str):
            prompts = [prompts] * len(texts)
        prompts = _string_list("prompts", prompts)
        if len(prompts) != len(texts):
            raise ValueError(
                f"prompts: got {len(prompts)} prompts for {len(texts)} texts; "
                "give one prompt or one per text"
            )
        keys = list(zip(prompts, texts, strict=True))
        with _torch_threads(self.torch_threads):
            rewards = self._score_keys(keys)
        return np.array([rewards[key] for key in keys], dtype=np.float64)

    def accuracy(self, pairs: pd.DataFrame) -> float:
        """Share of ``pairs`` whose chosen response scores strictly higher than the rejected."""
        prompts, chosen, rejected = _pair_texts(pairs)
        keys_chosen = list(zip(prompts, chosen, strict=True))
        keys_rejected = list(zip(prompts, rejected, strict=True))
        with _torch_threads(self.torch_threads):
            rewards = self._score_keys(keys_chosen + keys_rejected)
        wins = [rewards[c] > rewards[r] for c, r in zip(keys_chosen, keys_rejected, strict=True)]
        return float(np.mean(wins))

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the trained weights (safetensors) and the settings (JSON, ``SAVED_SETTINGS``).

        In ``head`` mode only the head is stored; the frozen backbone is reloaded from its
        source. Optimiser state is not stored: a loaded model fits on with a fresh AdamW.
        Every file is first written under a temporary name beside its own; only when all are
        written are they renamed into place, the JSON last, so a save that fails (a full disk)
        leaves the earlier checkpoint as it was. Weights that are not finite (training diverged)
        are refused before anything is written.

        Raises
        ------
        CheckpointError
            When a weight is NaN or infinite, or the folder cannot be written.
        """
        modules = {HEAD_FILE: self._head} if self._head is not None else {}
        if self.mode == "finetune":
            modules[BACKBONE_FILE] = self._backbone
        for module in modules.values():
            tensors = module.state_dict()
            bad = _first_non_finite(tensors.keys(), tensors.__getitem__)
            if bad is not None:
                raise CheckpointError(
                    f"checkpoint: weight {bad!r} is NaN or infinite (training diverged); "
                    "nothing was written, fit again with a lower learning_rate"
                )
        config = {
            "format": CHECKPOINT_FORMAT,
            "n_pairs_fitted": self.n_pairs_fitted_,
            "settings": {name: getattr(self, name) for name in SAVED_SETTINGS},
        }
        text = json.dumps(config, indent=2)
        writers = {
            name: lambda path, module=module: safetensors.torch.save_model(module, path)
            for name, module in modules.items()
        }
        writers[CONFIG_FILE] = lambda path: Path(path).write_text(text)
        folder = Path(directory)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_all(folder, writers)
        except OSError as error:
            raise CheckpointError(
                f"checkpoint: cannot write to {folder} ({_one_line(error)}); the files already "
                "there are unchanged, make room or fix the folder and save again"
            ) from error
        return folder

    @classmethod
    def load(cls, directory: str | os.PathLike, **overrides) -> RewardModel:
        """Rebuild a model written by :meth:`save`; ``overrides`` replace runtime settings
        (``RUNTIME_SETTINGS``: ``torch_threads``, ``progress``, ``deduplicate_texts``,
        ``sort_by_length``).

        Only the JSON config and safetensors files are read, never pickle: a folder with pickle
        weights (``pytorch_model.bin``) and no config is refused unread. The stored settings
        pass the constructor's range checks and every stored weight must be finite.

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
        for name in overrides:
            if name not in RUNTIME_SETTINGS:
                kind = "is stored in the checkpoint" if name in SAVED_SETTINGS else "is no setting"
                raise SettingError(
                    name, f"{kind}, so it cannot be overridden; override only {RUNTIME_SETTINGS}"
                )
        folder = Path(directory)
        settings, fitted = _checkpoint_config(folder)
        try:
            model = cls(**settings, **overrides)
        except SettingError as error:
            if error.field in overrides:
                raise
            raise CheckpointError(
                f"checkpoint: {folder / CONFIG_FILE} has a bad setting, {error}; correct it "
                "or re-save the model"
            ) from None
        files = [(model._head, folder / HEAD_FILE)] if model._head is not None else []
        if model.mode == "finetune":
            files.append((model._backbone, folder / BACKBONE_FILE))
        for module, path in files:
            _load_weights(module, path)
        model.n_pairs_fitted_ = fitted
        return model

    # ------------------------------------------------------------------ training

    def _fit_head(
        self, keys_chosen: list[TextKey], keys_rejected: list[TextKey], weights: torch.Tensor
    ) -> None:
        unique = list(dict.fromkeys(keys_chosen + keys_rejected))
        self._embed_missing(unique)
        row = {key: i for i, key in enumerate(unique)}
        embeddings = torch.stack([self._embeddings[key] for key in unique])
        chosen_rows = torch.tensor([row[key] for key in keys_chosen])
        rejected_rows = torch.tensor([row[key] for key in keys_rejected])
        n_pairs = len(keys_chosen)
        n_batches = -(-n_pairs // self.batch_size)
        with self._progress_bar(self.epochs * n_batches) as bar:
            for _ in range(self.epochs):
                order = torch.randperm(n_pairs, generator=self._generator)
                for batch in order.split(self.batch_size):
                    rewards_chosen = self._head(embeddings[chosen_rows[batch]]).squeeze(-1)
                    rewards_rejected = self._head(embeddings[rejected_rows[batch]]).squeeze(-1)
                    self._step(rewards_chosen - rewards_rejected, weights[batch])
                    bar.update()

    def _fit_finetune(
        self, keys_chosen: list[TextKey], keys_rejected: list[TextKey], weights: torch.Tensor
    ) -> None:
        self._tokenize_missing(keys_chosen + keys_rejected)
        if self.objective == "dpo":
            self._reference_missing(keys_chosen + keys_rejected)
        n_pairs = len(keys_chosen)
        n_batches = -(-n_pairs // self.batch_size)
        with self._progress_bar(self.epochs * n_batches) as bar:
            for _ in range(self.epochs):
                for batch in self._batches(keys_chosen, keys_rejected):
                    batch_keys = [keys_chosen[i] for i in batch] + [keys_rejected[i] for i in batch]
                    rewards = self._batch_rewards(batch_keys)
                    differences = rewards[: len(batch)] - rewards[len(batch) :]
                    self._step(differences, weights[torch.from_numpy(batch)])
                    bar.update()

    def _batch_rewards(self, keys: list[TextKey]) -> torch.Tensor:
        """Rewards of ``keys`` with gradients: unique texts once, in length-sorted passes."""
        unique = list(dict.fromkeys(keys)) if self.deduplicate_texts else keys
        if self.sort_by_length:
            passes = length_passes([len(self._tokens[key].ids) for key in unique])
        else:
            passes = [list(range(len(unique)))]
        order = [i for members in passes for i in members]
        rewards = torch.cat([self._rewards([unique[i] for i in members]) for members in passes])
        if self.deduplicate_texts:
            row = {unique[i]: position for position, i in enumerate(order)}
            return rewards[torch.tensor([row[key] for key in keys])]
        return rewards[torch.from_numpy(np.argsort(order))]

    def _step(self, differences: torch.Tensor, weights: torch.Tensor) -> None:
        if weights.sum() <= 0:
            return
        loss = -(weights * torch.nn.functional.logsigmoid(differences)).sum() / weights.sum()
        self._optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self._optimizer.step()

    def _batches(
        self, keys_chosen: list[TextKey], keys_rejected: list[TextKey]
    ) -> list[np.ndarray]:
        """One epoch of pair-index batches drawn with the private generator.

        With ``group_comparisons``, the labels of each comparison (in shuffled order) follow
        one another, the comparisons in shuffled order, and the sequence is cut every
        ``batch_size`` pairs; otherwise a plain shuffle is cut.
        """
        order = torch.randperm(len(keys_chosen), generator=self._generator).numpy()
        if self.group_comparisons:
            groups: dict[tuple[str, str, str], list[int]] = {}
            for i in order:
                (prompt, chosen), (_, rejected) = keys_chosen[i], keys_rejected[i]
                comparison = (prompt, *sorted((chosen, rejected)))
                groups.setdefault(comparison, []).append(i)
            members = list(groups.values())
            shuffle = torch.randperm(len(members), generator=self._generator).tolist()
            order = np.array([i for g in shuffle for i in members[g]])
        return np.array_split(order, range(self.batch_size, len(order), self.batch_size))

    def _progress_bar(self, total: int) -> tqdm:
        return tqdm(
            total=total,
            desc=f"reward model ({self.backbone}, {self.mode})",
            unit="step",
            delay=PROGRESS_DELAY_S,
            disable=not self.progress,
            leave=False,
        )

    # ------------------------------------------------------------------ scoring

    def _score_keys(self, keys: list[TextKey]) -> dict[TextKey, float]:
        unique = list(dict.fromkeys(keys))
        if self.mode == "head":
            self._embed_missing(unique)
            with torch.inference_mode():
                embeddings = torch.stack([self._embeddings[key] for key in unique])
                values = self._head(embeddings).squeeze(-1).tolist()
            return dict(zip(unique, values, strict=True))
        self._tokenize_missing(unique)
        if self.objective == "dpo":
            self._reference_missing(unique)
        rewards = {}
        with torch.inference_mode():
            for batch in self._length_sorted_batches(unique):
                rewards.update(zip(batch, self._rewards(batch).tolist(), strict=True))
        return rewards

    def _length_sorted_batches(self, keys: list[TextKey]) -> Iterator[list[TextKey]]:
        ordered = sorted(keys, key=lambda key: len(self._tokens[key].ids))
        for start in range(0, len(ordered), self.eval_batch_size):
            yield ordered[start : start + self.eval_batch_size]

    def _rewards(self, keys: list[TextKey]) -> torch.Tensor:
        """Rewards of tokenised ``keys`` in one forward pass (gradients as the caller allows)."""
        if self.objective == "dpo":
            policy = self._response_logp(self._backbone, keys)
            reference = torch.tensor([self._reference_logp[key] for key in keys])
            return self.beta * (policy - reference)
        return self._head(self._pooled(keys)).squeeze(-1)

    def _pooled(self, keys: list[TextKey]) -> torch.Tensor:
        """Mean-pooled (encoder) or last-token (causal) final hidden states."""
        inputs = self._padded(keys)
        hidden = self._backbone(**inputs).last_hidden_state
        mask = inputs["attention_mask"]
        if self.causal_:
            last = mask.sum(dim=1) - 1
            return hidden[torch.arange(len(keys)), last]
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1)

    def _response_logp(self, model: torch.nn.Module, keys: list[TextKey]) -> torch.Tensor:
        """Sum of log pi(token | prefix) over each key's response tokens.

        Only the hidden states that predict response tokens go through the LM head, which
        saves the vocabulary projection of every prompt position.
        """
        inputs = self._padded(keys)
        hidden = model.base_model(**inputs).last_hidden_state
        rows, columns = [], []
        for i, key in enumerate(keys):
            tokens = self._tokens[key]
            start = max(tokens.response_start, 1)
            rows += [i] * (len(tokens.ids) - start)
            columns += range(start, len(tokens.ids))
        rows_t, columns_t = torch.tensor(rows), torch.tensor(columns)
        logits = model.get_output_embeddings()(hidden[rows_t, columns_t - 1])
        targets = inputs["input_ids"][rows_t, columns_t]
        token_logp = logits.log_softmax(dim=-1).gather(1, targets.unsqueeze(1)).squeeze(1)
        return torch.zeros(len(keys), dtype=token_logp.dtype).index_add(0, rows_t, token_logp)

    def _padded(self, keys: list[TextKey]) -> dict[str, torch.Tensor]:
        """Right-padded model inputs, as long as the longest of ``keys`` (dynamic padding)."""
        tokens = [self._tokens[key] for key in keys]
        width = max(len(t.ids) for t in tokens)
        input_ids = torch.full((len(keys), width), self._tokenizer.pad_token_id)
        attention_mask = torch.zeros((len(keys), width), dtype=torch.long)
        type_ids = None if tokens[0].type_ids is None else torch.zeros_like(input_ids)
        for i, t in enumerate(tokens):
            input_ids[i, : len(t.ids)] = torch.tensor(t.ids)
            attention_mask[i, : len(t.ids)] = 1
            if type_ids is not None:
                type_ids[i, : len(t.ids)] = torch.tensor(t.type_ids)
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if type_ids is not None:
            inputs["token_type_ids"] = type_ids
        return inputs

    # ------------------------------------------------------------------ caches

    def _tokenize_missing(self, keys: list[TextKey]) -> None:
        missing = [key for key in dict.fromkeys(keys) if key not in self._tokens]
        if not missing:
            return
        prompts = [prompt for prompt, _ in missing]
        responses = [response for _, response in missing]
        if not self.causal_:
            encoded = self._tokenizer(
                prompts, responses, truncation="longest_first", max_length=self.max_length
            )
            type_ids = encoded.get("token_type_ids")
            for i, key in enumerate(missing):
                ids = encoded["input_ids"][i]
                types = None if type_ids is None else tuple(type_ids[i])
                start = types.index(1) if types is not None and 1 in types else 0
                self._tokens[key] = _Tokens(tuple(ids), types, start)
            return
        prompt_ids = self._tokenizer([p + "\n" for p in prompts])["input_ids"]
        response_ids = self._tokenizer(responses, add_special_tokens=False)["input_ids"]
        eos = [] if self._tokenizer.eos_token_id is None else [self._tokenizer.eos_token_id]
        for key, prompt_part, response_part in zip(missing, prompt_ids, response_ids, strict=True):
            response_part = (response_part + eos)[: self.max_length]
            room = self.max_length - len(response_part)
            prompt_part = prompt_part[len(prompt_part) - room :] if room > 0 else []
            self._tokens[key] = _Tokens(tuple(prompt_part + response_part), None, len(prompt_part))

    def _embed_missing(self, keys: list[TextKey]) -> None:
        """Cache frozen-backbone embeddings of ``keys`` not seen before (head mode)."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._embeddings]
        if not missing:
            return
        self._tokenize_missing(missing)
        with torch.inference_mode():
            for batch in self._length_sorted_batches(missing):
                self._embeddings.update(zip(batch, self._pooled(batch).clone(), strict=True))

    def _reference_missing(self, keys: list[TextKey]) -> None:
        """Cache log pi_ref(response | prompt) of the frozen reference LM (DPO)."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._reference_logp]
        if not missing:
            return
        with torch.inference_mode():
            for batch in self._length_sorted_batches(missing):
                values = self._response_logp(self._reference, batch).tolist()
                self._reference_logp.update(zip(batch, values, strict=True))


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


def check_settings(**settings) -> None:
    """Refuse what ``RewardModel(**settings)`` would refuse, reading the backbone's config but
    no weights: for validating a configuration before any model is built.

    The ranges: ``mode`` and ``objective`` from ``MODES`` and ``OBJECTIVES``; ``learning_rate``
    and ``beta`` finite and > 0; ``epochs``, ``batch_size``, ``eval_batch_size`` and
    ``torch_threads`` integers >= 1; ``seed`` an integer in [0, 2**63 - 1]; ``max_length`` an
    integer from 8 to the backbone's position limit; the switches (``progress``,
    ``group_comparisons``, ``deduplicate_texts``, ``sort_by_length``) booleans; ``backbone``
    as :func:`sim.reward.backbones.resolve_backbone` accepts it; DPO only on a causal backbone in
    ``finetune`` mode. None for ``learning_rate``, ``epochs`` or ``torch_threads`` means the
    default.

    Raises
    ------
    SettingError
        Naming the first unknown or out-of-range setting.
    """
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise SettingError(unknown[0], f"unknown setting; known settings are {', '.join(SETTINGS)}")
    _checked_settings(settings)


def _checked_settings(given: dict) -> tuple[dict, BackboneSource, PretrainedConfig]:
    """Every constructor setting with its default filled in, checked as :func:`check_settings`
    says, as plain Python values; with the backbone's source and config."""
    bound = inspect.signature(RewardModel).bind(**given)
    bound.apply_defaults()
    values = dict(bound.arguments)
    for name, choices in (("mode", MODES), ("objective", OBJECTIVES)):
        if not isinstance(values[name], str) or values[name] not in choices:
            raise SettingError(name, f"got {values[name]!r}; use one of {choices}")
    defaults = {
        "learning_rate": DEFAULT_LEARNING_RATE[values["mode"]],
        "epochs": DEFAULT_EPOCHS[values["mode"]],
        "torch_threads": default_torch_threads(),
    }
    for name, default in defaults.items():
        if values[name] is None:
            values[name] = default
    for name in ("learning_rate", "beta"):
        values[name] = _positive_number(name, values[name])
    for name in ("epochs", "batch_size", "eval_batch_size", "torch_threads"):
        values[name] = _integer(name, values[name], 1)
    values["seed"] = _integer("seed", values["seed"], 0, MAX_SEED)
    values["max_length"] = _integer("max_length", values["max_length"], MIN_MAX_LENGTH)
    for name in ("progress", "group_comparisons", "deduplicate_texts", "sort_by_length"):
        if not isinstance(values[name], bool | np.bool_):
            raise SettingError(name, f"got {values[name]!r}; give True or False")
        values[name] = bool(values[name])
    try:
        source = resolve_backbone(values["backbone"])
        config = backbone_config(source)
    except BackboneError as error:
        raise SettingError("backbone", error.problem) from None
    limit = position_limit(config)
    if limit is not None and values["max_length"] > limit:
        raise SettingError(
            "max_length",
            f"got {values['max_length']}, more than the {limit} token positions of backbone "
            f"{values['backbone']!r}; give at most {limit}",
        )
    if values["objective"] == "dpo" and not (is_causal(config) and values["mode"] == "finetune"):
        raise SettingError(
            "objective",
            "'dpo' needs a causal backbone (e.g. 'smollm2') and mode='finetune'; "
            "use objective='bradley_terry' otherwise",
        )
    return values, source, config


def _positive_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < float(value) < math.inf:
        raise SettingError(name, f"got {value!r}; give a finite positive number")
    return float(value)


def _integer(name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        in_range = False
    else:
        in_range = low <= value and (high is None or value <= high)
    if not in_range:
        wanted = (
            f"an integer of at least {low}" if high is None else f"an integer from {low} to {high}"
        )
        raise SettingError(name, f"got {value!r}; give {wanted}")
    return int(value)


def _checkpoint_config(folder: Path) -> tuple[dict, int]:
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
            f"checkpoint: {path} cannot be read as JSON ({_one_line(error)}); re-save the model"
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
    unknown = sorted(set(config["settings"]) - set(SAVED_SETTINGS))
    if unknown:
        raise CheckpointError(
            f"checkpoint: {path} has the unknown setting {unknown[0]!r}; remove it (known "
            f"settings: {', '.join(SAVED_SETTINGS)})"
        )
    return config["settings"], config["n_pairs_fitted"]


def _pickle_files(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)


def _load_weights(module: torch.nn.Module, path: Path) -> None:
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
            f"checkpoint: {path} is corrupted or belongs to another model ({_one_line(error)}); "
            "re-save it"
        ) from error
    if bad is not None:
        raise CheckpointError(
            f"checkpoint: {path} holds NaN or infinite values in {bad!r} (training diverged or "
            "the file is damaged); fit again and re-save it"
        )


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


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _string_list(name: str, values: Sequence[str]) -> list[str]:
    values = list(values)
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"{name}: every entry must be a string; convert or drop the others")
    return values


def _pair_texts(pairs: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    if not isinstance(pairs, pd.DataFrame):
        raise ValueError("pairs: give a pandas DataFrame with columns prompt, chosen, rejected")
    missing = [column for column in PAIR_COLUMNS if column not in pairs.columns]
    if missing:
        raise ValueError(
            f"pairs: columns {missing} are missing; give prompt, chosen, rejected "
            "(sim.trl_export.to_trl builds them from labels)"
        )
    if len(pairs) == 0:
        raise ValueError("pairs: the DataFrame is empty; give at least one pair")
    return tuple(_string_list(f"pairs.{column}", pairs[column]) for column in PAIR_COLUMNS)


def _pair_weights(weights: Sequence[float] | np.ndarray | None, n_pairs: int) -> torch.Tensor:
    if weights is None:
        return torch.ones(n_pairs)
    values = np.asarray(weights, dtype=np.float64)
    if values.shape != (n_pairs,):
        raise ValueError(f"weights: got shape {values.shape}; give one weight per pair ({n_pairs})")
    if not np.all(np.isfinite(values)) or np.any(values < 0) or values.sum() <= 0:
        raise ValueError("weights: give finite non-negative weights with a positive sum")
    return torch.from_numpy(values.astype(np.float32))
