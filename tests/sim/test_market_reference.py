"""The simulator's house can be rebuilt without changing what it computes: a fixed set of
small markets (majority and Dawid-Skene, VCG, first price, vickrey_feedback and posted price,
random and uncertainty item selection, fixed and budget demand, learning sellers) give, table
by table, the values written before the rework (``tests/data/market_reference.py``). The
annotators table has gained one column since, ``kind`` (issue 26: human or an AI judge's
profile), which is ``human`` in every row of these markets, whose sellers are all human."""

import pandas as pd
import pytest

from tests.data.market_reference import MARKETS, market_tables, path_of

TABLES = ("rounds", "annotators", "transactions", "labels")


@pytest.mark.parametrize("name", sorted(MARKETS))
def test_every_table_equals_the_reference(name):
    got = market_tables(name)
    assert sorted(got) == sorted(TABLES)
    for table in TABLES:
        expected = pd.read_parquet(path_of(name, table))
        frame = got[table].reset_index(drop=True)
        if table == "annotators":
            assert list(frame.columns) == [*expected.columns, "kind"]
            assert set(frame.pop("kind")) == {"human"}
        pd.testing.assert_frame_equal(frame, expected, check_exact=True, obj=f"{name}.{table}")
