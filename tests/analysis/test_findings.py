"""The findings' wording for each kind of paired difference, on hand-made per-seed outcomes:
identical rows, a difference below one evaluation's resolution, a real effect, and one that
is not distinguishable (with the size it is likely smaller than)."""

import math
import re

import numpy as np
import pandas as pd

from analysis import comparison_stats as stats
from analysis import findings
from analysis.report import Block, render_html, render_markdown
from analysis.resolution import evaluation_resolution, min_detectable_difference

RESOLUTION = evaluation_resolution(0.7, 2565)
"""One evaluation on the built-in corpus' whole test split: 0.90 points."""
BASE = np.array([0.70, 0.72, 0.71, 0.73, 0.69])
"""The best row's reward accuracy on five seeds."""
ROWS = {
    "base": BASE,
    "twin": BASE.copy(),  # identical on every seed
    "tiny": BASE - 1 / 2565,  # one test pair fewer right on every seed: 0.04 points
    "worse": BASE - np.array([0.05, 0.06, 0.055, 0.05, 0.06]),  # 5.5 points behind
    "noisy": BASE + np.array([0.01, -0.02, 0.015, -0.01, 0.0]),  # holds 0, sd 1.4 points
    "noisier": BASE + np.array([0.03, -0.04, 0.02, -0.02, 0.0]),  # holds 0, sd 2.9 points
}


def _outcomes(rows: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"mechanism": row, "seed_index": seed, "reward_accuracy": accuracy}
            for row in rows
            for seed, accuracy in enumerate(ROWS[row])
        ]
    )


def _to(reference: str, rows: list[str]) -> pd.DataFrame:
    """Paired differences of ``rows`` to ``reference`` (the table the report is made from)."""
    return stats.paired_differences(
        _outcomes([reference, *rows]), reference, [reference, *rows], names=("reward_accuracy",)
    )


def _summary(rows: list[str]) -> pd.DataFrame:
    records = {}
    for row in rows:
        values = ROWS[row]
        records[row] = {
            "reward_accuracy_mean": values.mean(),
            "reward_accuracy_ci_low": values.mean() - 0.01,
            "reward_accuracy_ci_high": values.mean() + 0.01,
        }
    return pd.DataFrame.from_dict(records, orient="index")


def _weighting(row: str, resolution: float = RESOLUTION) -> str:
    (claim,) = findings.weighting_findings(_to("base", [row]), resolution)
    return claim


def _accuracy(rows: list[str]) -> list[str]:
    summary = _summary(["base", *rows])
    return findings.accuracy_findings(summary, _to("base", rows), 32.0, len(BASE), RESOLUTION)


def _points(text: str) -> list[tuple[float, float]]:
    """Every ``mean ± half-width points`` in ``text``."""
    return [
        (float(mean), float(half))
        for mean, half in re.findall(r"(-?\d+\.\d+) ± (\d+\.\d+) points", text)
    ]


def test_identical_rows_read_identical_never_an_effect_or_not_distinguishable():
    claim = _weighting("twin")
    assert "identical" in claim and "exactly 0" in claim
    assert "effect" not in claim and "distinguishable" not in claim and "±" not in claim
    answer, *rest = _accuracy(["twin"])
    assert "twin is identical to it" in answer
    assert "no row is shown to train the best" in answer  # a tie, not a winner
    assert not any("twin" in line and "distinguishable" in line for line in [answer, *rest])


def test_a_tiny_interval_off_zero_below_the_resolution_is_not_an_effect():
    claim = _weighting("tiny")
    assert "below what one evaluation resolves (± 0.90 points)" in claim
    assert "not an effect" in claim and "identical" not in claim
    assert _points(claim) == [(-0.04, 0.0)]  # the size is still given, in points
    # The interval does exclude 0: the resolution alone is what keeps it from an effect.
    assert _weighting("tiny", resolution=0.0).endswith(": an effect.")
    assert _weighting("tiny", resolution=math.nan).endswith(": an effect.")  # unknown: interval
    answer, *rest = _accuracy(["tiny"])
    assert "tiny is behind it by less than one evaluation resolves" in answer
    assert any("below what one evaluation resolves" in line for line in rest)
    assert not any(line.startswith("Behind base") for line in rest)


def test_a_real_effect_is_called_one_and_its_row_loses():
    claim = _weighting("worse")
    assert claim.endswith(": an effect.")
    ((change, half),) = _points(claim)
    assert change == -5.50 and 0 < half < 1  # the per-seed shortfalls, 5 to 6 points
    answer, *rest = _accuracy(["worse"])
    assert answer.startswith("At budget 32 (5 seeds), base trains the best reward model")
    assert "ahead of every other row" in answer
    assert rest == [f"Behind base in reward accuracy: worse by 5.50 ± {half:.2f} points."]


def test_not_distinguishable_says_what_the_difference_is_likely_smaller_than():
    answer, detail = _accuracy(["noisy", "noisier"])
    assert "noisy and noisier are not distinguishable from it" in answer
    sds = [np.std(ROWS[row] - BASE, ddof=1) for row in ("noisy", "noisier")]
    detectable = [100 * min_detectable_difference(sd, len(BASE)) for sd in sds]
    # The larger spread needs the larger difference to show: 2.9 points of SD at 5 seeds.
    assert detectable[1] > detectable[0] > 1.5
    largest = re.search(r"likely smaller than (\d+\.\d+) points", answer)
    typical = re.search(r"typical (\d+\.\d+) points", answer)
    assert float(largest.group(1)) == round(max(detectable), 2)
    assert float(typical.group(1)) == round(float(np.median(detectable)), 2)
    assert "effect" not in answer
    assert detail.startswith("Not distinguishable from base:")
    assert f"detectable from {detectable[0]:.2f} points" in detail
    claim = _weighting("noisy")
    assert "not distinguishable from no change" in claim
    assert f"likely smaller than {detectable[0]:.2f} points" in claim
    assert "effect" not in claim


def test_the_findings_are_a_list_in_both_reports(tmp_path):
    items = ("first claim", "second <claim>")
    blocks = [Block("heading", "Findings"), Block("list", items=items)]
    markdown = render_markdown("t", blocks, tmp_path)
    assert "\n- first claim\n- second <claim>\n" in markdown
    page = render_html("t", blocks)
    assert "<ul><li>first claim</li><li>second &lt;claim&gt;</li></ul>" in page
