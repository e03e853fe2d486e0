"""The text catalogue is complete in both languages; the formatter matches hand-worked values."""

from __future__ import annotations

import datetime as dt
import string

import numpy as np
import pandas as pd
import pytest

from wattelt_eval import i18n
from wattelt_eval.i18n import format as fmt


def test_every_key_in_both_languages_with_the_same_placeholders():
    cat = i18n.catalogue()
    assert len(cat) > 0
    for key, entry in cat.items():
        assert set(entry) == {"nl", "en"}, key
        assert entry["nl"].strip() and entry["en"].strip(), key
        assert i18n.placeholders(entry["nl"]) == i18n.placeholders(entry["en"]), key


def test_placeholders_are_named():
    for key, entry in i18n.catalogue().items():
        for template in entry.values():
            for _, field, _, _ in string.Formatter().parse(template):
                assert field is None or (field and not field.isdigit()), (key, template)


def test_text_fills_placeholders_and_refuses_unknown_keys_and_languages():
    assert i18n.text("common.did_you_mean", "nl", suggestion="team") == "Bedoelde u 'team'?"
    assert i18n.pair("common.row") == ("rij", "row")
    assert i18n.texts("common.arm", "en") == {
        "demand_driven": "demand-driven",
        "supply_driven": "supply-driven",
    }
    with pytest.raises(KeyError):
        i18n.text("common.no_such_text", "nl")
    with pytest.raises(ValueError, match="lang"):
        i18n.text("common.row", "de")
    with pytest.raises(KeyError):  # a placeholder left unfilled is a programming error
        i18n.text("common.did_you_mean", "en")


@pytest.mark.parametrize(
    ("x", "decimals", "lang", "sign", "expected"),
    [
        (1234.5, 1, "nl", False, "1.234,5"),
        (1234.5, 1, "en", False, "1,234.5"),
        (-1234.5, 0, "nl", False, "−1.234"),  # half-to-even on the exact value: 1234.5 -> 1234
        (2.5, 0, "en", False, "2"),
        (3.5, 0, "en", False, "4"),
        (0.165, 2, "en", False, "0.17"),  # 0.165 is 0.16500000000000000777 in binary
        (-0.0001, 2, "nl", False, "0,00"),  # no "-0"
        (0.0, 1, "nl", True, "0,0"),  # no "+0"
        (12.0, 1, "nl", True, "+12,0"),
        (1234567.0, 0, "nl", False, "1.234.567"),
        (float("nan"), 1, "nl", False, "–"),
        (None, 1, "en", False, "–"),
        (pd.NA, 1, "en", False, "–"),
    ],
)
def test_number_by_hand(x, decimals, lang, sign, expected):
    assert fmt.number(x, decimals, lang, sign) == expected


def test_number_agrees_with_python_format_on_random_values():
    rng = np.random.default_rng(7)
    for x in np.concatenate([rng.uniform(-1e6, 1e6, 300), rng.uniform(-1, 1, 300)]):
        for d in (0, 1, 3):
            py = f"{abs(x):,.{d}f}"
            ours = fmt.number(x, d, "en")
            assert ours.lstrip("−") == py, (x, d)
            nl = py.replace(",", "_").replace(".", ",").replace("_", ".")
            assert fmt.number(x, d, "nl").lstrip("−") == nl


def test_euro_percent_p_and_date():
    assert fmt.euro(-1636, "nl") == "€ −1.636"
    assert fmt.euro(-1636, "en") == "−€1,636"
    assert fmt.euro(2151, "en", sign=True) == "+€2,151"
    assert fmt.euro(None, "nl") == "€ –"
    assert fmt.percent(0.4234, 1, "nl") == "42,3%"
    assert fmt.percent(0.0, 0, "en") == "0%"
    assert fmt.p_value(0.0004, "nl") == "< 0,001"
    assert fmt.p_value(0.0694, "en") == "0.069"
    assert fmt.date(dt.date(2026, 12, 3), "nl") == "3 december 2026"
    assert fmt.date(pd.Timestamp("2026-12-03"), "en") == "3 December 2026"
    assert fmt.date("2026-12-03", "en", style="iso") == "2026-12-03"
    assert fmt.date(pd.NaT, "nl") == "–"
    assert fmt.number(1900, 0, "nl", grouping=False) == "1900"
    assert fmt.number(-1900.5, 1, "nl", grouping=False) == "−1900,5"
