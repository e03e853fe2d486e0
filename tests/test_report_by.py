"""``report --by COLUMN``: one report per level, each with its own floor, and a summary."""

from __future__ import annotations

import html
import re

import pytest

from wattelt_eval import synth
from wattelt_eval.errors import UsageError
from wattelt_eval.report import build
from wattelt_eval.report.by_level import level_folder, levels_of
from wattelt_eval.report.provenance import fingerprint

pytestmark = pytest.mark.filterwarnings("ignore")


def test_levels_and_folders():
    data = synth.demo()
    assert levels_of(data, "municipality") == ["GM0772", "GM0794"]
    taken: set[str] = set()
    assert [level_folder(x, taken) for x in ("Eindhoven", "eindhoven", "’s-Hertogenbosch")] == [
        "eindhoven",
        "eindhoven-2",
        "s-hertogenbosch",
    ]
    with pytest.raises(UsageError, match="geboortejaar|not in the trajectories table|niet"):
        levels_of(data, "geboortejaar")


def test_subset_keeps_every_table_of_the_level():
    data = synth.demo()
    ids = data.trajectories.loc[data.trajectories["municipality"] == "GM0772", "trajectory_id"]
    sub = data.subset(ids)
    assert set(sub.trajectories["trajectory_id"]) == set(ids)
    for name, df in sub.tables.items():
        full = data.tables[name]
        assert len(df) == int(full["trajectory_id"].isin(set(ids)).sum()), name
    assert sub.truth is None and data.trajectories.shape[0] == 600  # the original unchanged


def test_report_by_municipality(tmp_path):
    data = synth.demo()
    tr = data.trajectories
    data.trajectories.loc[tr.index[:3], "municipality"] = None  # in no level
    res = build(
        data, tmp_path, lang="en", formats=("html",), n_boot=199, progress=False, by="municipality"
    )
    assert set(res.parts) == {"GM0772", "GM0794"}
    for level, part in res.parts.items():
        ids = data.trajectories.loc[data.trajectories["municipality"] == level, "trajectory_id"]
        assert part.data_fingerprint == fingerprint(data.subset(ids))  # the level's own data
        page = part.html.read_text(encoding="utf-8")
        assert "Can this pilot answer the question?" in page  # its own power statement
        assert part.html.parent.name == level.lower()
    summary = res.html.read_text(encoding="utf-8")
    assert '<html lang="en">' in summary and "<caption>" in summary
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary)))
    assert "GM0772" in text and "GM0794" in text
    # 2 + 2 teams per municipality: too few assignments, each level says so
    assert text.count("no, too small") == 2
    assert "<10 trajectories have no value for 'municipality'" in text
