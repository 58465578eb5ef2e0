"""Run a run file's markets (rows x budgets x seeds, and its scenarios) and write the report.

Every row runs on the same seeds (common random numbers: the same annotators, costs, judges
and evaluation pairs for every mechanism), so differences between rows are paired by seed.
Markets run on ``workers`` single-threaded processes (:func:`sim.experiments.executors.
execute_runs`); each market's results depend only on its config, never on the worker that ran
it or on what that worker ran before (``sim.reward.state_cache``), so the tables are the same
for any number of workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import comparison_stats as stats
from analysis import findings
from analysis.records import DIFFERENCE_COLUMNS
from analysis.report import (
    Block,
    bullet_list,
    display_summary,
    plot_by_round,
    plot_frontier,
    plot_shading,
    plot_spend_by_skill,
    plot_surplus_and_overpayment,
    spend_by_skill_band,
    with_interval,
    write_report,
)
from analysis.resolution import POWER, evaluation_resolution
from analysis.seller_kinds import (
    ai_share_points,
    has_ai_sellers,
    seller_kind_blocks,
    spend_by_kind,
)
from sim.experiments.output import manifest, staged_dir, write_json, write_tables
from sim.experiments.plan_runs import run_comparison
from sim.experiments.run_file import MAIN_SCENARIO, RunPlan, load_run_file, mechanism_config
from sim.market import eval_pair_count

__all__ = ["DEMO_FILE", "load_run_file", "mechanism_config", "run_comparison", "write_comparison"]

DEMO_FILE = Path(__file__).resolve().parents[2] / "examples" / "study.toml"
"""The demo's run file (the study): its rows, seeds, budgets and ``[fast]`` table."""

SHOWN_OUTCOMES = ("reward_accuracy", "labels", "cumulative_spend", "label_accuracy")
"""Outcomes of the printed and reported summary table (summary.csv holds every one)."""
SCENARIO_OUTCOMES = ("labels", "reward_accuracy", "spend_per_label")
ROUND_FIGURES = (  # column, heading, y label, figure file
    (
        "reward_accuracy",
        "Reward accuracy",
        "reward accuracy on held-out gold pairs",
        "accuracy_by_round",
    ),
    (
        "label_accuracy",
        "Purchased-label accuracy",
        "share of purchased labels agreeing with gold",
        "label_accuracy",
    ),
)
"""The figures by round of the main runs at the base budget (means over seeds, 95% bands)."""


def qa_dpo_twins(plan: RunPlan) -> dict[str, str]:
    """Rows trained with QA-DPO weights -> the row that differs only by unweighted pairs."""
    configs = {row: plan.config(row).model_dump() for row in plan.rows}
    twins = {}
    for row, config in configs.items():
        if config["buyer"]["pair_weights"] != "qa_dpo":
            continue
        plain = {**config, "buyer": {**config["buyer"], "pair_weights": "none"}}
        for other, candidate in configs.items():
            if candidate == plain:
                twins[row] = other
    return twins


def accuracy_resolution(plan: RunPlan, summary: pd.DataFrame) -> float:
    """The resolution of one evaluation of reward accuracy in this comparison: the largest
    binomial standard error over its rows at ``buyer.budget``, each at the row's mean reward
    accuracy and its number of evaluation pairs (the corpus' test split, or
    ``reward_model.eval_pairs``; :func:`analysis.resolution.evaluation_resolution`); NaN
    when no row's is defined."""
    errors = []
    for row in plan.rows:
        config = plan.config(row)
        n_test = len(config.corpus.load().pairs("test"))
        n_eval = eval_pair_count(config.reward_model.eval_pairs, n_test)
        errors.append(evaluation_resolution(summary.loc[row, "reward_accuracy_mean"], n_eval))
    return float(np.fmax.reduce(errors))  # NaN only where every row's is


def write_comparison(
    out: Path,
    plan: RunPlan,
    title: str,
    progress: bool = True,
    overwrite: bool = False,
    workers: int | None = None,
    finished: tuple[dict[str, pd.DataFrame], float] | None = None,
    show_findings: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run the plan and write results, tables, manifest and both reports to ``out`` atomically.

    ``finished`` gives the plan's results and their wall time instead of running the plan:
    markets run elsewhere (``bench/bench_study.py`` on a machine without matplotlib).
    ``show_findings`` (e.g. ``typer.echo``) receives the findings as a bullet list, one claim
    a line, once the report is written.

    ``out`` receives ``results/<table>.parquet``, ``summary.csv``, ``differences.csv``,
    ``frontier.csv``, ``spend_needed.csv``, ``shading.csv`` and ``scenario_effects.csv``
    (with scenarios), ``manifest.json``, ``report.md`` with ``figures/*.png`` and the
    self-contained ``report.html``; it appears only when everything is written (see
    :func:`sim.experiments.output.staged_dir`). Returns the printed summary (strings).
    """
    if finished is None:
        started = time.perf_counter()
        results = run_comparison(plan, workers, progress)
        wall = time.perf_counter() - started
    else:
        results, wall = finished
    content = comparison_content(plan, results)
    with staged_dir(out, overwrite=overwrite) as staging:
        (staging / "results").mkdir()
        write_tables(results, staging / "results")
        for name, table in content["tables"].items():
            table.to_csv(staging / f"{name}.csv", index=name == "summary")
        blocks = report_blocks(plan, content, staging / "figures", wall)
        write_report(title, blocks, staging)
        write_json(
            manifest(
                config=plan.base.model_dump(mode="json"),
                mechanisms=plan.rows,
                scenarios={k: vars(v) for k, v in plan.scenarios.items()},
                seed=plan.base.seed,
                seeds=plan.options.seeds,
                run_seeds=plan.seeds,
                budgets=list(plan.budgets),
                baseline=plan.baseline,
                target_accuracy=content["target"],
                wall_time_s=round(wall, 1),
            ),
            staging / "manifest.json",
        )
    if show_findings is not None:
        show_findings(bullet_list(content["findings"]))
    return content["printed"]


def comparison_content(plan: RunPlan, results: dict[str, pd.DataFrame]) -> dict:
    """Every table and sentence of the report, from the results."""
    order, base_budget = list(plan.rows), plan.base.buyer.budget
    outcomes = stats.seed_outcomes(results["rounds"])
    main_all = outcomes[outcomes["scenario"] == MAIN_SCENARIO]
    main = main_all[main_all["budget"] == base_budget]
    summary = stats.with_intervals(main, order)
    baseline = plan.baseline
    differences = stats.paired_differences(main, baseline, order)
    best = summary["reward_accuracy_mean"].idxmax()
    to_best = stats.paired_differences(main, best, order, names=("reward_accuracy",))
    target = plan.options.target_accuracy or float(summary.loc[baseline, "reward_accuracy_mean"])
    points = stats.frontier(main_all)
    needed = stats.spend_needed(points, target, order)
    weighted = _weighting_differences(plan, main)
    n_seeds = plan.options.seeds
    resolution = accuracy_resolution(plan, summary)
    claims = findings.accuracy_findings(summary, to_best, base_budget, n_seeds, resolution)
    if len(plan.budgets) > 1:
        claims += findings.spend_findings(needed, baseline, best, target)
    claims += findings.weighting_findings(weighted, resolution)
    tables = {"summary": summary, "differences": differences}
    if len(plan.budgets) > 1:
        tables |= {"frontier": points, "spend_needed": needed.reset_index()}
    if has_ai_sellers(results["annotators"]):
        tables |= _seller_kind_tables(results, main_all)
    shading = None
    if plan.scenarios:
        shading, effects = _scenario_tables(plan, results, outcomes)
        for name in plan.scenarios:
            claims += findings.shading_findings(
                shading, effects[effects["scenario"] == name], name, MAIN_SCENARIO, resolution
            )
        tables |= {"shading": shading, "scenario_effects": effects}
    return {
        "summary": summary,
        "printed": _printed_summary(summary, differences, baseline),
        "findings": claims,
        "resolution": resolution,
        "points": points,
        "needed": needed,
        "shading": shading,
        "rounds": results["rounds"],
        "annotators": results["annotators"],
        "tables": tables,
        "target": target,
        "baseline": baseline,
    }


def _weighting_differences(plan: RunPlan, main: pd.DataFrame) -> pd.DataFrame:
    """Paired differences in reward accuracy of each QA-DPO row to its unweighted twin
    (:func:`qa_dpo_twins`) in ``main``, the seed outcomes at the base budget; an empty
    table when no row has a twin."""
    return pd.concat(
        [
            stats.paired_differences(main, plain, [row], names=("reward_accuracy",))
            for row, plain in qa_dpo_twins(plan).items()
        ]
        or [pd.DataFrame(columns=list(DIFFERENCE_COLUMNS))],
        ignore_index=True,
    )


def _seller_kind_tables(results: dict[str, pd.DataFrame], main_all: pd.DataFrame) -> dict:
    """With AI judge sellers: spend, labels and label accuracy by seller kind, and each
    row's share of spend on AI sellers beside its reward accuracy (main scenario)."""
    annotators, labels = (
        results[name][results[name]["scenario"] == MAIN_SCENARIO]
        for name in ("annotators", "labels")
    )
    return {
        "spend_by_kind": spend_by_kind(annotators, labels),
        "ai_share": ai_share_points(annotators, main_all),
    }


def _scenario_tables(
    plan: RunPlan, results: dict[str, pd.DataFrame], outcomes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scenarios' tables at the base budget: how far sellers shade by round in each row
    a scenario reruns (in both scenarios), and each scenario's paired effects against the
    main scenario (its ``scenario`` column names the scenario)."""
    annotators = results["annotators"][results["annotators"]["budget"] == plan.base.buyer.budget]
    shaded = {row for scenario in plan.scenarios.values() for row in scenario.rows}
    annotators = annotators[annotators["mechanism"].isin(shaded)]  # and their main runs
    shading = stats.shading_by_round(annotators)
    effects = pd.concat(
        [
            stats.scenario_differences(outcomes, name, MAIN_SCENARIO, SCENARIO_OUTCOMES).assign(
                scenario=name
            )
            for name in plan.scenarios
        ],
        ignore_index=True,
    )
    return shading, effects


def _printed_summary(
    summary: pd.DataFrame, differences: pd.DataFrame, baseline: str
) -> pd.DataFrame:
    """The summary as printed (strings), with each row's paired difference in reward
    accuracy to ``baseline`` as its last column."""
    printed = display_summary(summary, SHOWN_OUTCOMES)
    accuracy = differences[differences["outcome"] == "reward_accuracy"].set_index("mechanism")
    printed[f"reward acc. - {baseline}"] = [
        _difference_cell(accuracy.loc[row]) if row in accuracy.index else "baseline"
        for row in printed.index
    ]
    return printed


def _difference_cell(diff: pd.Series) -> str:
    text = with_interval(diff["difference"], diff["ci_low"], diff["ci_high"])
    return f"{text} *" if diff["excludes_zero"] else text


def _figure_section(heading: str, caption: str, path: Path) -> list[Block]:
    return [Block("heading", heading), Block("figure", caption, path=path)]


def report_blocks(plan: RunPlan, content: dict, figures: Path, wall: float) -> list[Block]:
    """The report's content, in order (rendered as Markdown and as HTML)."""
    budget = plan.base.buyer.budget
    rounds, annotators = content["rounds"], content["annotators"]
    main_rounds = rounds[(rounds["scenario"] == MAIN_SCENARIO) & (rounds["budget"] == budget)]
    main_annotators = annotators[
        (annotators["scenario"] == MAIN_SCENARIO) & (annotators["budget"] == budget)
    ]
    blocks = [
        Block("text", _preamble(plan, wall)),
        Block("heading", "Findings"),
        Block("list", items=tuple(content["findings"])),
        Block(
            "text",
            "A difference is an effect when its 95% paired interval excludes 0 and, for reward "
            "accuracy, it exceeds what one evaluation resolves (the binomial standard error of "
            f"reward accuracy on the evaluation pairs: ± {100 * content['resolution']:.2f} "
            "points here). A difference that is not distinguishable is likely smaller than its "
            "minimum detectable difference (the difference the paired t test at these seeds "
            f"detects with power {POWER:g}; differences.csv: min_detectable).",
        ),
        Block("heading", f"Summary at budget {budget:g}"),
        Block("table", table=content["printed"]),
        Block(
            "text",
            f"Mean ± half-width of the 95% interval over seeds. The last column is the paired "
            f"difference to {content['baseline']}; * marks an interval that excludes 0.",
        ),
    ]
    if len(plan.budgets) > 1:
        blocks += _frontier_blocks(plan, content, figures)
    if content["shading"] is not None:
        shading = plot_shading(content["shading"], figures / "shading.png")
        blocks += _figure_section("Strategic sellers", "Mean ask / cost by round", shading)
    for column, heading, ylabel, name in ROUND_FIGURES:
        title = f"{heading} by round"
        path = plot_by_round(main_rounds, column, ylabel, title, figures / f"{name}.png")
        blocks += _figure_section(heading, f"{title} (mean over seeds, 95% bands)", path)
    if "ai_share" in content["tables"]:
        blocks += seller_kind_blocks(content["tables"], figures)
    bands = spend_by_skill_band(main_annotators)
    blocks += _figure_section(
        "Spend by annotator skill quartile",
        "Spend by annotator skill quartile",
        plot_spend_by_skill(bands, figures / "spend_by_skill.png"),
    )
    blocks += _figure_section(
        "Seller surplus and overpayment",
        "Seller surplus and overpayment",
        plot_surplus_and_overpayment(content["summary"], figures / "surplus_overpayment.png"),
    )
    return blocks


def _preamble(plan: RunPlan, wall: float) -> str:
    """What ran: rows, seeds, annotators, budget, rounds, reward model, markets, wall time."""
    base = plan.base
    return (
        f"{len(plan.rows)} rows on {plan.options.seeds} seeds (the same populations for every "
        f"row), {base.population.n_annotators} annotators{_rlaif_text(base)}, total budget "
        f"{base.buyer.budget:g} "
        f"over {base.buyer.rounds} rounds (demand mode {base.buyer.demand_mode}), reward model "
        f"{base.reward_model.backbone} (trainable layers {base.reward_model.trainable_layers}); "
        f"{plan.n_markets} markets, wall time "
        f"{wall:.0f} s. Intervals are 95% Student-t intervals over seeds; differences are "
        "paired by seed (analysis.intervals)."
    )


def _rlaif_text(config) -> str:
    """`` and N RLAIF sellers`` when the config has them."""
    sellers = config.rlaif.sellers
    return f" and {sellers} RLAIF seller{'s' * (sellers != 1)}" if sellers else ""


def _frontier_blocks(plan: RunPlan, content: dict, figures: Path) -> list[Block]:
    """The cost-efficiency frontier: its figure, the table of the spend each row needs to
    reach the target (with its reward accuracy at the base budget), and how to read it."""
    needed = content["needed"]
    reach = pd.DataFrame(
        {
            f"spend to reach {content['target']:.3f}": [
                findings.spend_interval_text(r) for _, r in needed.iterrows()
            ],
            f"reward acc. at {plan.base.buyer.budget:g}": content["printed"]["reward acc."],
        },
        index=needed.index,
    )
    return [
        *_figure_section(
            "Cost-efficiency frontier",
            "Final reward accuracy against total spend",
            plot_frontier(content["points"], figures / "frontier.png"),
        ),
        Block("table", table=reach),
        Block(
            "text",
            f"Budgets {', '.join(f'{b:g}' for b in plan.budgets)}, each over every seed. "
            "The spend to reach the target is where the mean frontier first reaches it "
            "(linear between budgets); the interval, where the upper and the lower edge of "
            "its 95% band do. '<=' marks a crossing below the smallest budget run, '>' one "
            "beyond the largest.",
        ),
    ]
