"""The progression charts: real PNGs of a sensible size, opaque, the same bytes for the same report."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.image import imread

from bot.charts import cohorts_png, stages_png
from bot.domain.progression import Thresholds
from bot.domain.progression_report import build_report
from tests.domain.progression_plan import GUILD, PLAN, inputs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def report():
    return build_report(GUILD, inputs(), timezone="UTC", thresholds=Thresholds())


def read(data: bytes) -> np.ndarray:
    assert data.startswith(PNG_SIGNATURE)
    return imread(io.BytesIO(data), format="png")


@pytest.mark.parametrize("draw", [stages_png, cohorts_png])
def test_each_chart_is_an_opaque_png_discord_previews_whole(report, draw):
    data = draw(report)
    pixels = read(data)
    assert pixels.shape[:2] == (540, 960)
    assert 10_000 < len(data) < 1_000_000  # well under Discord's 10 MiB
    if pixels.shape[2] == 4:
        assert pixels[..., 3].min() == 1.0  # opaque: the same picture on a dark or a light theme
    assert (pixels[..., :3] < 0.3).all(axis=2).any()  # dark text on the light background
    assert len({tuple(p) for p in pixels[::20, ::20, :3].reshape(-1, 3)}) > 5  # more than a blank canvas


@pytest.mark.parametrize("draw", [stages_png, cohorts_png])
def test_the_same_report_draws_the_same_bytes(report, draw):
    assert draw(report) == draw(report)


def test_one_month_and_no_joiners_still_draw():
    plan = {user: (name, stages[:1], None, None, {}) for user, (name, stages, *_rest) in PLAN.items() if stages[0]}
    report = build_report(GUILD, inputs(plan, ("2026-01",), {}, "2026-01"), timezone="UTC", thresholds=Thresholds())
    assert report.cohorts == ()
    assert read(stages_png(report)).shape[:2] == (540, 960)
    assert read(cohorts_png(report)).shape[:2] == (540, 960)
