"""The corpus's tables, each declared once (as :mod:`analysis.records` declares the market's):
its responses, its comparisons and TRL's ``prompt, chosen, rejected`` pairs of texts.

This module imports nothing else of the corpus, so the corpus's modules can all read it.
"""

from __future__ import annotations

from analysis.records import Column, Schema

_PROMPT_ID = Column("prompt_id", "int64", "the prompt answered")
_PROMPT = Column("prompt", "str", "the prompt's text")

RESPONSES = Schema(
    "responses",
    (
        Column("response_id", "int64", "the response (equals its row position)"),
        _PROMPT_ID,
        Column("topic", "str", "the prompt's topic"),
        _PROMPT,
        Column("text", "str", "the response's text"),
    ),
)
"""A corpus response; a corpus's responses table adds one float64 score column per
attribute of ``sim.corpus.ATTRIBUTES`` (all NaN without scores)."""
RESPONSE_COLUMNS = RESPONSES.names

COMPARISONS = Schema(
    "comparisons",
    (
        Column("pair_id", "int64", "the comparison"),
        _PROMPT_ID,
        _PROMPT,
        Column("left", "int64", "response id shown first"),
        Column("right", "int64", "response id shown second"),
    ),
)
"""A corpus comparison: two responses (ids) to one prompt; a corpus's pairs table adds its
``split`` (``"train"`` or ``"test"``), and one read from a preference file the recorded
``chosen`` id before it."""
COMPARISON_COLUMNS = COMPARISONS.names

TRL_PAIRS = Schema(
    "TRL pairs",
    (
        _PROMPT,
        Column("chosen", "str", "the preferred response's text"),
        Column("rejected", "str", "the other response's text"),
    ),
)
"""A training or evaluation pair as texts, the preferred response as ``chosen`` (TRL's
format; also the text fields of a preference file)."""
TRL_COLUMNS = TRL_PAIRS.names
