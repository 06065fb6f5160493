"""The built-in player: reproducible per seed, takes free material, rejects bad settings."""

from __future__ import annotations

import cshogi
import pytest

from maou_kit.selfplay import SimplePlayer, play_game
from maou_kit.selfplay.simple_player import material_balance

# Black rook on 1e can take an undefended white gold on 5e.
FREE_GOLD_SFEN = "k8/9/9/9/4g3R/9/9/9/4K4 b - 1"


def moves_of_game(seed: int) -> list[str]:
    player = SimplePlayer()
    return play_game(player, player, seed=seed, max_moves=60).usi_moves


def test_same_seed_gives_the_same_game():
    assert moves_of_game(5) == moves_of_game(5)


def test_different_seeds_give_different_games():
    assert moves_of_game(5) != moves_of_game(6)


def test_greedy_player_takes_an_undefended_piece():
    player = SimplePlayer(temperature_cp=0)
    player.new_game(0)
    decision = player.choose_move(cshogi.Board(FREE_GOLD_SFEN), FREE_GOLD_SFEN, [])
    assert decision.move == "1e5e"


def test_material_balance_is_from_the_side_to_move():
    black_up_a_gold = "k8/9/9/9/9/9/9/9/4K4 b G 1"
    assert material_balance(cshogi.Board(black_up_a_gold)) == 550
    assert material_balance(cshogi.Board(black_up_a_gold.replace(" b ", " w "))) == -550


def test_negative_temperature_is_rejected():
    with pytest.raises(ValueError, match="temperature"):
        SimplePlayer(temperature_cp=-1)
