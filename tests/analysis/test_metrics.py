import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analysis import metrics
from analysis.records import TRANSACTION_COLUMNS


def _table(rows):
    return pd.DataFrame(rows, columns=list(TRANSACTION_COLUMNS))


def test_hand_worked_table():
    # Two sellers: A sells 2 labels at 0.5 each (cost 0.3, value 1.0), B sells 1 at 0.6
    # (cost 0.6, value 0.8).
    # spend = 1.0 + 0.6 = 1.6; seller surplus = (1.0 - 0.6) + (0.6 - 0.6) = 0.4
    # buyer utility = (2*1.0 + 0.8) - 1.6 = 1.2; welfare = 1.6; overpayment = 1.6 / 1.2
    t = _table([(0, "A", 2, 0.5, 1.0, 0.3, 1.0, 0.9), (0, "B", 1, 0.6, 0.6, 0.6, 0.8, 0.2)])
    assert metrics.spend(t) == pytest.approx(1.6)
    assert metrics.labels_bought(t) == 3
    assert metrics.seller_surplus(t) == pytest.approx(0.4)
    assert metrics.buyer_utility(t) == pytest.approx(1.2)
    assert metrics.welfare(t) == pytest.approx(1.6)
    assert metrics.overpayment(t) == pytest.approx(1.6 / 1.2)
    skills = pd.Series({"A": 0.9, "B": 0.2, "C": 0.5, "D": 0.1})
    # q75 of skills (0.1, 0.2, 0.5, 0.9) = 0.6, so only A is top-quartile: 1.0 / 1.6
    assert metrics.top_skill_spend_share(t, skills) == pytest.approx(1.0 / 1.6)


rows = st.tuples(
    st.integers(0, 3),
    st.sampled_from(["a", "b", "c"]),
    st.integers(0, 5),
    st.floats(0, 2),
    st.floats(0, 5),
    st.floats(0, 2),
    st.floats(0, 2),
    st.floats(0, 1),
)


@given(st.lists(rows, min_size=1, max_size=20))
def test_welfare_is_buyer_utility_plus_seller_surplus(table_rows):
    t = _table(table_rows)
    assert metrics.welfare(t) == pytest.approx(
        metrics.buyer_utility(t) + metrics.seller_surplus(t), abs=1e-9
    )


@settings(max_examples=60)
@given(
    st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(0, 1), min_size=n, max_size=n),
            st.lists(st.floats(0, 1), min_size=n, max_size=n),
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
            st.one_of(st.none(), st.integers(0, 10)),
        )
    )
)
def test_max_welfare_matches_linear_programme(case):
    """Up to the LP solver's tolerance: HiGHS may leave out a unit whose surplus is below its
    dual feasibility tolerance (1e-7), so the LP can fall short, never over, by 1e-7 a unit."""
    values, costs, caps, demand = case
    n = len(values)
    surplus = np.array(values) - np.array(costs)
    a_ub = np.ones((1, n)) if demand is not None else None
    b_ub = [demand] if demand is not None else None
    lp = linprog(-surplus, A_ub=a_ub, b_ub=b_ub, bounds=[(0, c) for c in caps])
    best = metrics.max_welfare(values, costs, caps, demand)
    assert -lp.fun - 1e-9 <= best <= -lp.fun + 1e-7 * max(1, sum(caps))


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="transactions: missing columns \\['skill'\\]"):
        metrics.spend(pd.DataFrame(columns=list(TRANSACTION_COLUMNS[:-1])))
