"""Warnings point at the user's line, whichever path reached the op: called directly, through
the registry's axis=/keepdims= hook, through autocast, or through a Module (`warn_user`)."""
from __future__ import annotations

import warnings

import pytest

import minitorch_nn as mt

CALLS = {
    "std dof (dim hook)": lambda: mt.std(mt.ones(1), dim=0),
    "std dof (method)": lambda: mt.ones(1).std(0),
    "softmax implicit dim": lambda: mt.nn.functional.softmax(mt.ones(2, 2)),
    "Softmax module implicit dim": lambda: mt.nn.Softmax()(mt.ones(2, 2)),
    "legacy size_average": lambda: mt.nn.functional.mse_loss(mt.ones(2), mt.ones(2),
                                                             size_average=True),
    "legacy loss module": lambda: mt.nn.MSELoss(reduce=False),
    "meshgrid indexing": lambda: mt.meshgrid(mt.ones(2), mt.ones(2)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_warning_points_at_this_file(name):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        CALLS[name]()
    ours = [w for w in record if issubclass(w.category, UserWarning)]
    assert ours, f"{name}: no warning"
    assert all(w.filename == __file__ for w in ours), [(w.filename, str(w.message))
                                                         for w in ours]


def test_warn_user_walks_past_package_frames():
    from minitorch_nn._user_warning import warn_user
    with pytest.warns(UserWarning, match="hello") as record:
        warn_user("hello")
    assert record[0].filename == __file__
