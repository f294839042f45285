"""NAdam against PyTorch: float64 trajectories over 12 steps for several settings
(maximize and weight decay included), float32, state_dict round trips, defaults and
constructor errors (same class and message)."""
from __future__ import annotations

import pytest

from optim_harness import (check_defaults, check_error, check_float32, check_state_dict,
                           check_trajectory)

NAME = "NAdam"
CASES = [
    {"lr": 0.05},
    {"lr": 0.05, "momentum_decay": 0.05, "betas": (0.8, 0.9)},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
    {"lr": 0.05, "weight_decay": 0.2, "maximize": True},
]
BAD = [
    {"lr": -0.1},
    {"eps": -1.0},
    {"betas": (1.0, 0.9)},
    {"betas": (0.9, 1.5)},
    {"weight_decay": -1},
    {"momentum_decay": -0.1},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_trajectory_matches_pytorch(kwargs):
    check_trajectory(NAME, kwargs)


@pytest.mark.parametrize("kwargs", CASES[::2], ids=str)
def test_float32_close_to_pytorch(kwargs):
    check_float32(NAME, kwargs)


@pytest.mark.parametrize("kwargs", CASES[:2], ids=str)
def test_state_dict_round_trip(kwargs):
    check_state_dict(NAME, kwargs)


def test_defaults_match_pytorch():
    check_defaults(NAME)


@pytest.mark.parametrize("kwargs", BAD, ids=str)
def test_bad_arguments_raise_like_pytorch(kwargs):
    check_error(NAME, kwargs)
