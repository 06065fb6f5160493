"""USI `go` parameters and the per-move time budget of `maou-kit usi`."""

from __future__ import annotations

import cshogi
import pytest

from maou_kit.play.time_control import SAFETY_MARGIN_MS, parse_go


def test_byoyomi_only_uses_the_byoyomi_less_the_margin():
    go = parse_go("btime 0 wtime 0 byoyomi 1000".split())
    assert go.budget_s(cshogi.BLACK) == pytest.approx((1000 - SAFETY_MARGIN_MS) / 1000)


def test_main_time_is_spent_in_slices_for_the_side_to_move():
    go = parse_go("btime 60000 wtime 3000 binc 1000 winc 1000".split())
    assert go.budget_s(cshogi.BLACK) == pytest.approx((60000 / 30 + 1000 - 150) / 1000)
    assert go.budget_s(cshogi.WHITE) == pytest.approx((3000 / 30 + 1000 - 150) / 1000)


def test_budget_never_exceeds_the_time_left():
    go = parse_go("btime 100 wtime 100 binc 5000 winc 5000".split())
    assert go.budget_s(cshogi.BLACK) <= 0.1


def test_movetime_nodes_and_infinite():
    assert parse_go("movetime 500".split()).budget_s(cshogi.WHITE) == pytest.approx(0.4)
    assert parse_go("nodes 300".split()).budget_s(cshogi.BLACK) is None
    assert parse_go("nodes 300".split()).nodes == 300
    assert parse_go(["infinite"]).budget_s(cshogi.BLACK) is None


def test_ponder_has_no_budget_until_ponderhit():
    go = parse_go("ponder btime 0 wtime 0 byoyomi 2000".split())
    assert go.budget_s(cshogi.BLACK) is None
    assert go.after_ponderhit().budget_s(cshogi.BLACK) == pytest.approx(1.85)


def test_malformed_number_names_the_field():
    with pytest.raises(ValueError, match="go: byoyomi 'x' is not an integer"):
        parse_go("byoyomi x".split())
