"""BSN guard (elfproef) and contact-detail scanners."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wattelt_eval.bsn import elfproef, scan_bsn, scan_contact_details, scan_tables

# Valid numbers, worked out by hand (weights 9 8 7 6 5 4 3 2 -1, sum must be 0 mod 11):
#   111222333: 9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3-1*3 = 9+8+7+12+10+8+9+6-3 = 66 = 6*11
#   123456782: 9*1+8*2+7*3+6*4+5*5+4*6+3*7+2*8-1*2 = 9+16+21+24+25+24+21+16-2 = 154 = 14*11
#   012345672: 0+8*1+7*2+6*3+5*4+4*5+3*6+2*7-1*2 = 8+14+18+20+20+18+14-2 = 110 = 10*11
#   999999990: 9*(9+8+7+6+5+4+3+2) - 0 = 9*44 = 396 = 36*11
VALID = ["111222333", "123456782", "012345672", "999999990"]
# Invalid:
#   123456789: 156 - 9 = 147 = 13*11 + 4
#   111222334: 69 - 4 = 65 = 5*11 + 10
#   123456783: 156 - 3 = 153 = 13*11 + 10
#   000000000: all zeros is not a number anyone has
#   12345678 / 1234567890: not nine digits
INVALID = [
    "123456789",
    "111222334",
    "123456783",
    "000000000",
    "12345678",
    "1234567890",
    "abcdefghi",
]


@pytest.mark.parametrize("number", VALID)
def test_elfproef_valid(number):
    assert elfproef(number)


@pytest.mark.parametrize("number", INVALID)
def test_elfproef_invalid(number):
    assert not elfproef(number)


def test_elfproef_separators_and_int():
    assert elfproef("111.222.333")
    assert elfproef("111 222 333")
    assert elfproef("1112.22.333")
    assert elfproef(111222333)
    assert not elfproef("111.222.334")


def test_elfproef_vectorised_matches_scalar_reference():
    # independent scalar reference implementation over 5,000 random numbers
    rng = np.random.default_rng(7)
    nums = [f"{x:09d}" for x in rng.integers(0, 10**9, size=5000)]
    ref = []
    for s in nums:
        total = sum(w * int(c) for w, c in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], s, strict=True))
        ref.append(total % 11 == 0 and s != "000000000")
    df = pd.DataFrame({"v": nums})
    hits = {p for p, _ in scan_bsn(df)}
    assert [i in hits for i in range(len(nums))] == ref
    assert 0.07 < np.mean(ref) < 0.11  # about 1 in 11 pass


def test_scan_bsn_positions_in_text_ids_and_numbers():
    df = pd.DataFrame(
        {
            "id": ["T0001", "T111222333", "R-77", "123456789"],  # only row 1 (embedded BSN)
            "text": [
                "bsn 111.222.333 bekend",  # separators
                "tel 0612345678",  # ten digits: not a BSN
                "dossier 1234567890123",  # longer run of digits
                "geen nummer",
            ],
            "num": [123456782.0, 2.5, np.nan, 12345672],  # float BSN, lost leading zero
            "when": pd.to_datetime(["2025-01-01"] * 4),
        }
    )
    assert scan_bsn(df) == [(1, "id"), (0, "text"), (0, "num"), (3, "num")]


def test_scan_bsn_never_returns_the_number():
    df = pd.DataFrame({"x": ["111222333"]})
    out = repr(scan_bsn(df)) + repr(scan_tables({"t": df}))
    assert "111222333" not in out


def test_scan_bsn_numbers_that_fail_pass():
    df = pd.DataFrame({"a": ["123456789", "111222334"], "b": [123456789, 987654320]})
    # 987654320: 81+64+49+36+25+16+9+4-0 = 284 = 25*11 + 9 -> fails
    assert scan_bsn(df) == []


@pytest.mark.parametrize(
    "table,column,value",
    [
        ("trajectories", "resident_id", "111222333"),
        ("trajectories", "team", "team 123456782"),
        ("contacts", "professional_id", "012345672"),
        ("goals", "text", "Inwoner (BSN 111 222 333) wil weer fietsen"),
        ("provisions", "product_code", "999999990"),
        ("staff_time", "trajectory_id", "T-111222333"),
    ],
)
def test_bsn_hidden_in_each_table(table, column, value):
    df = pd.DataFrame({column: ["ok", "ook ok", value, "x"], "other": ["a", "b", "c", "d"]})
    hits = scan_tables({table: df})
    assert hits[["table", "position", "column", "kind"]].values.tolist() == [
        [table, 2, column, "bsn"]
    ]
    assert value not in hits.to_string()


def test_contact_details_found():
    df = pd.DataFrame(
        {
            "text": [
                "mail naar jan.jansen@example.nl",
                "bel 06-12345678 na vijven",
                "bel +31 (0)6 1234 5678",
                "vaste lijn 020 123 4567",
                "woont op 1234 AB 12",
                "Dorpsstraat 12, 1234AB Huizen",
                "Weer zelf boodschappen doen",  # nothing
                "in 2025 3 keer per week",  # year + number: not a postcode
                "afspraak 14-03-2025 om 10:00",  # a date is not a phone number
                "postcode 1234 AB bekend",  # postcode without house number: not flagged
            ],
            "n": range(10),
        }
    )
    hits = scan_contact_details(df)
    got = sorted((p, k) for p, c, k in hits)
    assert got == [
        (0, "email"),
        (1, "phone"),
        (2, "phone"),
        (3, "phone"),
        (4, "postcode_house_number"),
        (5, "postcode_house_number"),
    ]
    assert {c for _, c, _ in hits} == {"text"}


def test_contact_details_columns_and_kinds():
    df = pd.DataFrame({"a": ["x@y.nl"], "b": ["x@y.nl"]})
    assert scan_contact_details(df, columns=["b", "missing"]) == [(0, "b", "email")]
    assert scan_contact_details(df, columns=["a"], kinds=["phone"]) == []
    with pytest.raises(ValueError, match="kinds"):
        scan_contact_details(df, kinds=["bsn"])


def test_scan_is_fast_on_large_tables():
    import time

    n = 200_000
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "id": [f"T{i:06d}" for i in range(n)],
            "num": rng.integers(100_000_000, 999_999_999, size=n),
            "text": ["Weer zelf boodschappen doen"] * n,
        }
    )
    t0 = time.perf_counter()
    hits = scan_bsn(df)
    scan_contact_details(df, columns=["text"])
    elapsed = time.perf_counter() - t0
    # random nine-digit numbers: about 1 in 11 pass
    assert 0.07 * n < len(hits) < 0.11 * n
    assert elapsed < 20


def test_numbers_as_the_elfproef_says_sign_ignored_decimals_never_scanned():
    # one scanner for validation and privacy (docs/architecture.md, "BSN guard in number
    # columns"): 100000009 passes the elfproef (9*1 - 9 = 0 = 0*11), a minus sign does not
    # hide a BSN, and the digits after a decimal point are no BSN
    df = pd.DataFrame({"num": [100000009, -111222333, 0.111222333, 111222333.5, 12345672]})
    assert scan_bsn(df) == [(0, "num"), (1, "num"), (4, "num")]
    obj = pd.DataFrame(
        {"x": pd.Series([100000009, -111222333.0, 0.111222333, "111222333"], dtype=object)}
    )
    assert scan_bsn(obj) == [(0, "x"), (1, "x"), (3, "x")]


def test_text_with_unicode_separators_found():
    # Python's \s (the exact pattern) also matches a no-break space: the RE2 pre-filter
    # must let such cells through
    df = pd.DataFrame({"t": ["bsn 111\u00a0222\u00a0333", "x"]})
    assert scan_bsn(df) == [(0, "t")]
