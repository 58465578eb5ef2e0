"""``prefmarket mechanisms`` and ``prefmarket check``: the registry and the property kit.

``check`` exits 1 when a declared property is violated and 2 when the mechanism breaks the
run contract (see :mod:`mechanisms.run_contract`) or the input is bad.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from mechanisms import PROPERTY_NAMES, ContractError, available_mechanisms, get_mechanism
from mechanisms.properties import Violation
from mechanisms.property_survey import PropertyFinding, PropertySurvey, survey_properties
from mechanisms.run_contract import DEFAULT_TIMEOUT
from mechanisms.search_space import MAX_SELLERS, MONEY_SCALES
from sim.cli.errors import one_line, usage_error

#: Parameters for built-in mechanisms that cannot be built without them; ``--param`` overrides.
BUILTIN_PARAMS: dict[str, dict[str, object]] = {"posted_price": {"price": 0.5}}

#: What a violation's ``amount`` measures, per property.
AMOUNT_NAMES = {
    "dsic": "utility gain",
    "ir": "utility loss",
    "budget_feasible": "overspend",
    "monotone": "extra labels",
}


def _claim_text(mech, prop: str) -> str:
    if not mech.properties.get(prop, False):
        return "no"
    condition = getattr(mech, "conditions", {}).get(prop)
    return "yes" if condition is None else f"yes if {condition}"


def list_mechanisms() -> None:
    """Table of every registered mechanism: declared properties and a one-line description."""
    table = Table(title="Registered mechanisms")
    for column in ("name", *PROPERTY_NAMES, "description"):
        table.add_column(column)
    for name in available_mechanisms():
        try:
            mech = get_mechanism(name, **BUILTIN_PARAMS.get(name, {}))
        except ValueError as exc:
            table.add_row(name, *["?"] * len(PROPERTY_NAMES), f"cannot build: {one_line(exc)}")
            continue
        claims = [_claim_text(mech, prop) for prop in PROPERTY_NAMES]
        table.add_row(name, *claims, getattr(mech, "description", ""))
    Console().print(table)


def _parse_params(items: list[str]) -> dict[str, object]:
    """``key=value`` strings to a dict; values become int, else float, else str."""
    params: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise usage_error(f"--param: expected key=value, got {item!r}")
        for parse in (int, float, str):
            try:
                params[key] = parse(text)
                break
            except ValueError:
                continue
    return params


def _found_text(finding: PropertyFinding) -> str:
    if finding.violated == 0:
        return "none"
    if finding.condition is None:
        return f"{finding.violated} markets"
    outside = finding.violated - finding.violated_claimed
    return f"{finding.violated_claimed} within {finding.condition}, {outside} outside"


def _checked_text(finding: PropertyFinding) -> str:
    if finding.condition is None:
        return str(finding.checked)
    return f"{finding.checked} ({finding.claimed} within {finding.condition})"


def _verdict(finding: PropertyFinding) -> str:
    if not finding.declared:
        return "not claimed"
    return "VIOLATED" if finding.broken else "ok"


def _market_text(market) -> str:
    """The market as Python that rebuilds it exactly (``repr`` rounds values to 4 digits)."""
    return (
        f"Market(values={list(map(float, market.values))}, "
        f"capacities={list(map(int, market.capacities))}, "
        f"demand={market.demand}, budget={market.budget!r})"
    )


def _counterexample_lines(violation: Violation) -> list[str]:
    fields = []
    if violation.seller is not None:
        fields.append(f"seller {violation.seller}")
    if violation.true_cost is not None:
        fields.append(f"true cost {violation.true_cost:.9g}")
    if violation.misreport is not None:
        fields.append(f"misreport {violation.misreport:.9g}")
    fields.append(f"{AMOUNT_NAMES[violation.property]} {violation.amount:.6g}")
    return [
        f"{violation.property} counterexample: " + ", ".join(fields),
        f"  market: {_market_text(violation.market)}",
        f"  asks: {list(map(float, violation.asks))}, rng seed {violation.seed}",
        *(
            [f"  truthful asks: {list(map(float, violation.truthful_asks))}"]
            if violation.property == "dsic"
            else []
        ),
        f"  {violation.detail}",
    ]


def check(
    mech: str = typer.Argument(..., help="Registry name (see `mechanisms`) or module:Class."),
    examples: int = typer.Option(200, "--examples", "-n", min=1, help="Random markets to check."),
    seed: int = typer.Option(0, "--seed", help="Seed for the markets and the mechanism's rng."),
    param: list[str] = typer.Option(  # noqa: B008 - typer declares options this way
        [], "--param", "-p", help="key=value passed to the mechanism; repeatable."
    ),
    sellers: int = typer.Option(
        MAX_SELLERS, "--sellers", min=1, help="Most sellers in a market (3 in 4 have at most 4)."
    ),
    scale: list[float] = typer.Option(  # noqa: B008 - typer declares options this way
        list(MONEY_SCALES),
        "--scale",
        help="Money scale of markets (values and costs in [0, scale]); repeatable. "
        "Half the markets use the first.",
    ),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT,
        "--timeout",
        min=0.0,
        help="Seconds one call of the mechanism's run may take (0: no limit).",
    ),
) -> None:
    """Search random markets for violations of each property and print the smallest found.

    Exit 1 when a property the mechanism declares (within its condition) is violated;
    exit 2 when the mechanism breaks the run contract (raises, exits, hangs past
    --timeout, returns a bad outcome or is not deterministic given its rng seed).
    """
    if not all(0 < s < float("inf") for s in scale):
        raise usage_error(f"--scale: each scale must be a finite number > 0, got {scale}")
    mechanism = _built(mech, param)
    survey = _surveyed(
        mech,
        mechanism,
        examples=examples,
        seed=seed,
        max_sellers=sellers,
        scales=tuple(scale),
        timeout=timeout or None,
    )
    scales = "/".join(f"{s:g}" for s in scale)
    title = f"{mech}: {examples} markets of 1-{sellers} sellers, scale {scales}, seed {seed}"
    _print_survey(title, mechanism, survey)
    broken = [finding.property for finding in survey.findings if finding.broken]
    if broken:
        typer.echo(f"FAIL: {mech} violates its declared {', '.join(broken)}")
        raise typer.Exit(1)
    typer.echo(f"OK: no violation of a property {mech} declares")


def _built(mech: str, param: list[str]):
    """Mechanism ``mech`` built with its built-in parameters and the ``--param`` values
    over them; one it cannot build is bad input."""
    params = {**BUILTIN_PARAMS.get(mech, {}), **_parse_params(param)}
    try:
        return get_mechanism(mech, **params)
    except ValueError as exc:
        raise usage_error(str(exc)) from None


def _surveyed(mech: str, mechanism, examples: int, **options) -> PropertySurvey:
    """:func:`~mechanisms.property_survey.survey_properties` of ``mechanism`` (named
    ``mech``); a broken run contract, unusable declarations or a refusal of every market is
    bad input."""
    try:
        survey = survey_properties(mechanism, examples=examples, **options)
    except ContractError as exc:
        raise usage_error(str(exc)) from None
    except Exception as exc:  # a mechanism with unusable declarations is bad input here
        raise usage_error(f"mechanism {mech!r}: {type(exc).__name__}: {exc}") from None
    if survey.refused == examples:
        raise usage_error(f"mechanism {mech!r} refused every market: {survey.first_refusal}")
    return survey


def _print_survey(title: str, mechanism, survey: PropertySurvey) -> None:
    """The table of findings, one row per property, then the smallest counterexample of
    each property found violated and how many markets the mechanism refused."""
    table = Table(title=title)
    for column in ("property", "declared", "markets checked", "violations found", "verdict"):
        table.add_column(column)
    for finding in survey.findings:
        table.add_row(
            finding.property,
            _claim_text(mechanism, finding.property),
            _checked_text(finding),
            _found_text(finding),
            _verdict(finding),
        )
    Console().print(table)
    for finding in survey.findings:
        if finding.smallest is not None:
            typer.echo("\n".join(_counterexample_lines(finding.smallest)))
    if survey.refused:
        typer.echo(
            f"note: the mechanism refused {survey.refused} of {survey.examples} markets "
            f"(first: {survey.first_refusal})"
        )
