"""``LabelLog``: appending rounds equals concatenating them, cycle rates equal a full recount."""

import numpy as np
import pandas as pd
import pytest

from analysis.intransitivity import cycle_rate_by_prompt
from analysis.records import PURCHASED_LABEL_COLUMNS
from sim.label_log import LabelLog

RESPONSES_PER_PROMPT = 5
N_PROMPTS = 12
PROMPT_OF = np.repeat(np.arange(N_PROMPTS), RESPONSES_PER_PROMPT)


def random_round(round_, n, rng):
    prompt = rng.integers(0, N_PROMPTS, n)
    left = prompt * RESPONSES_PER_PROMPT + rng.integers(0, RESPONSES_PER_PROMPT, n)
    right = prompt * RESPONSES_PER_PROMPT + (left + rng.integers(1, RESPONSES_PER_PROMPT, n)) % (
        RESPONSES_PER_PROMPT
    )
    return pd.DataFrame(
        {
            "round": round_,
            "worker": rng.integers(0, 6, n),
            "pair_id": rng.integers(0, 1000, n),
            "left": left,
            "right": right,
            "label": np.where(rng.random(n) < 0.5, left, right),
            "correct": rng.random(n) < 0.7,
            "golden": rng.random(n) < 0.2,
        },
        columns=list(PURCHASED_LABEL_COLUMNS),
    )


@pytest.mark.parametrize("seed", range(3))
def test_appended_rounds_read_back_as_their_concatenation_with_the_pooled_cycle_rate(seed):
    rng = np.random.default_rng(seed)
    log, rounds = LabelLog(PROMPT_OF), []
    for round_ in range(8):
        rounds.append(random_round(round_, int(rng.integers(0, 90)), rng))
        log.append(rounds[-1])
        everything = pd.concat(rounds, ignore_index=True)
        pd.testing.assert_frame_equal(log.frame(), everything, check_dtype=False)
        regular = everything[~everything["golden"]]
        pd.testing.assert_frame_equal(
            log.frame(golden=False).reset_index(drop=True),
            regular.reset_index(drop=True),
            check_dtype=False,
        )
        if regular.empty:
            assert np.isnan(log.cycle_rate())
            continue
        items = np.union1d(regular["left"], regular["right"])
        rates = cycle_rate_by_prompt(regular, pd.Series(PROMPT_OF[items], index=items))
        expected = rates.mean() if rates.notna().any() else np.nan
        np.testing.assert_allclose(log.cycle_rate(), expected, equal_nan=True)
    assert len(log) == sum(map(len, rounds))


def test_an_empty_log_has_no_cycle_rate_and_typed_columns():
    log = LabelLog(PROMPT_OF)
    assert np.isnan(log.cycle_rate())
    assert list(log.frame().columns) == list(PURCHASED_LABEL_COLUMNS)
    assert len(log.frame()) == 0
