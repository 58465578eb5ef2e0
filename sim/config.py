"""``MarketConfig``: everything one market run needs, read from TOML and validated.

Unknown or invalid fields raise :class:`ConfigError`, a ``ValueError`` whose one-line
message names the field (dotted path), the bad value and what is allowed.

The data a run uses is its ``[corpus]`` section (:class:`CorpusConfig`): the built-in corpus,
or a preference file by path (relative paths: ``sim.config_files``); the validated config
holds it absolute, with the file's sha256.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from agents.ai_sellers import budget_split_problem
from agents.distributions import frozen_distribution
from agents.population import PopulationSpec
from mechanisms.registry import UnknownMechanismError, get_mechanism
from sim.config_fields import validation_message
from sim.config_files import ConfigError, read_toml, resolve_corpus_path
from sim.config_section import Section
from sim.corpus import (
    ATTRIBUTES,
    DEFAULT_TARGET_WEIGHTS,
    Corpus,
    DataFileError,
    weight_vector,
)
from sim.corpus_source import file_sha256, load_corpus
from sim.judge_view import pair_layout
from sim.reward import RewardSettings, SettingError
from sim.reward.settings import MAX_SEED, checked
from sim.rlaif_seller import RlaifConfig


class MechanismConfig(Section):
    name: str = "vcg"
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> MechanismConfig:
        try:
            get_mechanism(self.name, **_mechanism_params(self.params))
        except UnknownMechanismError as exc:
            raise ValueError(str(exc).removeprefix("mechanism: ")) from None
        return self


class BuyerConfig(Section):
    """The buyer's settings (``agents.buyer.Buyer`` reads them)."""

    budget: float = Field(48.0, ge=0, description="money for the whole run")
    rounds: int = Field(6, ge=1, le=1000, description="rounds the market runs")
    demand_per_round: int = Field(48, ge=1, description="labels a round; demand_mode 'fixed'")
    demand_mode: Literal["fixed", "budget"] = Field(
        "fixed", description="'budget': a round buys as many labels as its budget buys"
    )
    pair_weights: Literal["none", "qa_dpo"] = Field(
        "none", description="'qa_dpo': weight each training pair by its winners' quality bids"
    )
    labels_per_item: int = Field(
        1, ge=1, le=15, description="labels bought per item, each from a different seller"
    )
    target_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_TARGET_WEIGHTS),
        description="the buyer's utility weights over attributes; they define gold",
    )
    golden_rate: float = Field(
        0.1, ge=0.0, lt=1.0, description="share of bought labels spent on golden checks"
    )
    item_selection: Literal["random", "uncertainty"] = Field(
        "random", description="'uncertainty': items of smallest reward margin first"
    )
    feedback: bool = Field(True, description="learn seller quality from golden and agreement")
    pacing: bool = Field(True, description="spread the remaining budget over remaining rounds")
    aggregation: Literal["majority", "dawid_skene"] = Field(
        "majority", description="how a round's labels of a pair become one training vote"
    )
    base_value: float = Field(1.0, gt=0, description="value of a perfectly reliable label")
    valuation: Literal["optimistic", "mean"] = Field(
        "optimistic", description="value sellers at the optimism quantile or the mean quality"
    )
    optimism: float = Field(0.9, gt=0.5, lt=1.0, description="posterior quantile of optimism")
    quality_prior: tuple[float, float] = Field(
        (3.0, 1.0), description="Beta(alpha, beta) prior on every annotator's accuracy"
    )
    ai_budget_share: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="share of each round's budget (and fixed demand) cleared among the AI "
        "sellers (AI judges and RLAIF), the rest among the humans, each by the mechanism; "
        "budget one side leaves unspent is not moved; None: one market",
    )

    @field_validator("quality_prior")
    @classmethod
    def _prior(cls, prior: tuple[float, float]) -> tuple[float, float]:
        if min(prior) <= 0:
            raise ValueError("both Beta parameters must be > 0")
        return prior

    @field_validator("target_weights")
    @classmethod
    def _weights(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(ATTRIBUTES))
        if unknown:
            raise ValueError(f"unknown attribute(s) {unknown}; use {list(ATTRIBUTES)}")
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("weights must be >= 0 with a positive sum")
        return weights


MARKET_TRAINABLE_LAYERS = 2
"""The market's default reward model trains the top 2 of MiniLM's 6 layers on cached frozen
states. ``bench/bench_reward_model.py`` (RESULTS.md, Reward model): on the market's data it was
2.4 points more accurate than a full fine-tune (mean of 3 seeds) and 2.1x faster at equal
threads; ``RewardSettings`` itself keeps "all" (a full fine-tune) as the library default, and
so does a market config that names another backbone."""
MARKET_SETS = ("seed", "progress")
"""Reward-model settings the market sets itself (its own seed, and a progress bar when asked),
so they are not in ``[reward_model]``."""


class _RewardModelConfig(Section):
    """``[reward_model]``: the fields of ``RewardSettings`` but ``MARKET_SETS``, declared there,
    and how many held-out pairs measure the model (``RewardModelConfig`` is built from both).

    ``trainable_layers`` left out is ``MARKET_TRAINABLE_LAYERS`` for MiniLM and
    ``RewardSettings``' "all" for another backbone (a causal LM such as SmolLM2 trains 0 or all
    layers)."""

    eval_pairs: int | None = Field(
        None,
        ge=10,
        description="held-out gold pairs for reward accuracy; None: the whole test split",
    )

    @model_validator(mode="before")
    @classmethod
    def _library_default_elsewhere(cls, data: Any) -> Any:
        library = RewardSettings.model_fields
        if (
            isinstance(data, dict)
            and "trainable_layers" not in data
            and data.get("backbone", library["backbone"].default) != library["backbone"].default
        ):
            data = {**data, "trainable_layers": library["trainable_layers"].default}
        return data

    def to_settings(self, seed: int, progress: bool) -> RewardSettings:
        """The reward model's settings, with the market's ``seed`` (checked as
        ``MarketConfig.seed``) and ``progress``; the fields were checked by this section."""
        fields = self.model_dump(exclude={"eval_pairs"})
        return RewardSettings.model_construct(**fields, seed=seed, progress=progress)


def _reward_model_fields() -> dict[str, Any]:
    """``RewardSettings``' fields but ``MARKET_SETS`` (the same annotation, bounds and
    description), ``trainable_layers`` defaulting to ``MARKET_TRAINABLE_LAYERS``."""
    fields = {
        name: (field.annotation, field)
        for name, field in RewardSettings.model_fields.items()
        if name not in MARKET_SETS
    }
    layers = fields["trainable_layers"][1]
    market = FieldInfo.merge_field_infos(layers, default=MARKET_TRAINABLE_LAYERS)
    return {**fields, "trainable_layers": (layers.annotation, market)}


RewardModelConfig = create_model(
    "RewardModelConfig",
    __base__=_RewardModelConfig,
    __module__=__name__,
    __doc__=_RewardModelConfig.__doc__,
    **_reward_model_fields(),
)


class CorpusConfig(Section):
    """The comparisons a run buys labels on (``[corpus]``).

    ``path`` absent (None): the built-in corpus (``sim.corpus.builtin_corpus(seed)``).
    Otherwise a preference file in TRL's ``prompt, chosen, rejected`` format
    (``sim.corpus.load_preferences``); without attribute scores, gold is the recorded
    choice and the judges must be ``one_coin`` or ``spammer``. ``seed`` seeds the pair
    order and the train/test split (and the built-in corpus' texts). ``sha256`` is filled
    in from the file; give it to pin the data: a file whose content differs is refused.
    """

    path: str | None = Field(None, description="a preference file; absent: the built-in corpus")
    seed: int = Field(0, ge=0, le=MAX_SEED)
    sha256: str | None = Field(
        None, validate_default=True, description="the file's sha256; filled in from the file"
    )

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: str | None) -> str | None:
        if path is None:
            return None
        if not path.strip():
            raise ValueError("give a file path, or leave path out for the built-in corpus")
        return os.path.abspath(os.path.expanduser(path))

    @field_validator("sha256")
    @classmethod
    def _digest(cls, sha256: str | None, info: ValidationInfo) -> str | None:
        if "path" not in info.data:
            return sha256
        path = info.data["path"]
        if path is None:
            if sha256 is not None:
                raise ValueError("names a file's content; give corpus.path too, or remove sha256")
            return None
        digest = file_sha256(path)
        if digest is None:  # not a readable file: MarketConfig.check_data says why
            return sha256
        if sha256 is not None and sha256 != digest:
            raise ValueError(
                f"{path} has other content (sha256 {digest}); remove sha256 to accept it"
            )
        return digest

    def load(self) -> Corpus:
        """The corpus (a file's is loaded once per process and content)."""
        return load_corpus(self.path, self.seed, self.sha256)


MOVED_FIELDS = {"corpus_seed": "corpus.seed"}
"""Fields that moved: old name -> new dotted name. A config may still use the old name."""


class MarketConfig(Section):
    """A whole market run. Every section has defaults; TOML overrides any field.

    The top-level ``corpus_seed`` of earlier versions is read as ``corpus.seed``.
    """

    seed: int = Field(0, ge=0, le=MAX_SEED)
    corpus: CorpusConfig = Field(default_factory=CorpusConfig)
    population: PopulationSpec = Field(default_factory=PopulationSpec)
    mechanism: MechanismConfig = Field(default_factory=MechanismConfig)
    buyer: BuyerConfig = Field(default_factory=BuyerConfig)
    reward_model: RewardModelConfig = Field(default_factory=RewardModelConfig)
    rlaif: RlaifConfig = Field(default_factory=RlaifConfig)

    @model_validator(mode="before")
    @classmethod
    def _moved_corpus_seed(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "corpus_seed" not in data:
            return data
        corpus = data.get("corpus", {})
        if not isinstance(corpus, dict):  # the corpus section's own error says what it needs
            return data
        data = dict(data)
        seed = data.pop("corpus_seed")
        if "seed" in corpus:
            raise ValueError(
                "corpus_seed and corpus.seed are both given; corpus_seed moved to "
                "corpus.seed, so give only that"
            )
        data["corpus"] = {**corpus, "seed": seed}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MarketConfig:
        """Validate a config table, then check that the data suits it (:meth:`check_data`)."""
        try:
            config = cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(validation_message(exc, MarketConfig)) from None
        _check_on_backbone(config.reward_model)
        config.check_data()
        return config

    @classmethod
    def from_toml(cls, path: str | Path) -> MarketConfig:
        """Read a config file; a relative ``corpus.path`` is relative to its folder."""
        return cls.from_dict(resolve_corpus_path(read_toml(path), Path(path).parent))

    def check_data(self, corpus: Corpus | None = None) -> None:
        """Refuse what the data cannot serve, naming the field.

        A corpus without attribute scores allows only judges that need none (``one_coin``,
        ``spammer``) and has no target utility, so ``buyer.target_weights`` must keep its
        default; a bias must name a feature. ``corpus`` defaults to the configured one (a
        file is loaded, once per process and content; the built-in corpus is not built).

        Raises
        ------
        ConfigError
            ``corpus.path: ...`` for a missing or malformed file (the ``DataFileError``),
            ``population.judge_mix: ...``, ``population.bias_feature: ...`` or
            ``buyer.target_weights: ...``.
        """
        if corpus is None and self.corpus.path is not None:
            try:
                corpus = self.corpus.load()
            except DataFileError as exc:
                raise ConfigError(f"corpus.{exc}") from None
        has_attributes = corpus is None or corpus.has_attributes
        try:
            self.population.check_layout(pair_layout(has_attributes))
        except ValueError as exc:
            raise ConfigError(f"population.{exc}") from None
        self._check_channels()
        default = weight_vector(DEFAULT_TARGET_WEIGHTS)
        if not has_attributes and not (weight_vector(self.buyer.target_weights) == default).all():
            raise ConfigError(
                f"buyer.target_weights: {self.corpus.path or 'the corpus'} has no attribute "
                "scores, so gold is its recorded choice; remove target_weights"
            )

    def _check_channels(self) -> None:
        """An AI budget share needs the sellers it splits the budget between."""
        share, rlaif = self.buyer.ai_budget_share, self.rlaif.sellers
        problem = budget_split_problem(self.population, share, rlaif)
        if problem:
            raise ConfigError(f"buyer.ai_budget_share: {problem}")


def _mechanism_params(params: dict[str, Any]) -> dict[str, Any]:
    """Mechanism parameters as the mechanism takes them (a named scipy distribution for myerson).

    ``distribution = {name = "uniform", loc = 0, scale = 1}`` becomes the frozen
    ``scipy.stats.uniform(loc=0, scale=1)``.
    """
    converted = dict(params)
    spec = converted.get("distribution")
    if isinstance(spec, dict):
        converted["distribution"] = frozen_distribution(
            "distribution", spec.get("name", ""), {k: v for k, v in spec.items() if k != "name"}
        )
    return converted


@functools.cache
def _check_on_backbone(section: _RewardModelConfig) -> None:
    """What ``RewardModel`` checks beyond the fields (e.g. ``max_length`` beyond the backbone's
    positions), named as a config field; cached, as reading a backbone's config can be slow.

    ``device`` is checked as a name here: a config may be written for another machine (a
    Dask worker with a GPU); whoever runs it checks that the device exists
    (:func:`sim.experiments.devices.check_devices`)."""
    try:
        checked(section.to_settings(seed=0, progress=False), device_here=False)
    except SettingError as exc:
        raise ConfigError(f"reward_model.{exc.field}: {exc.problem}") from None


def mechanism_from_config(config: MechanismConfig):
    """Build the configured mechanism."""
    return get_mechanism(config.name, **_mechanism_params(config.params))
