"""Declarations of every reason code (``problems.rule``) and its severity.

The message of each code is ``validation.rule.<code>`` in the text catalogue
(``wattelt_eval/i18n/messages/validation.toml``); the list of codes is documented in
:mod:`wattelt_eval.validation` and ``docs/data_model.md``.
"""

from __future__ import annotations

from .registry import reason

# reading the package
for _code in (
    "missing_path",
    "not_a_package",
    "unreadable_file",
    "missing_table",
    "duplicate_table",
    "empty_table",
):
    reason(_code, "error")
reason("unknown_file", "warning")
reason("unknown_sheet", "warning")
reason("mixed_encoding", "error")
reason("merged_cells", "error")
reason("title_line", "warning")
reason("totals_row", "warning")
reason("placeholder", "warning")
reason("invisible_character", "warning")

# study settings
reason("missing_study", "warning")
reason("study_unreadable", "error")
reason("study_unknown_key", "warning")
reason("study_type", "error")
reason("study_value", "error")
reason("unknown_instrument", "error")

# columns
reason("missing_column", "error")
reason("duplicate_column", "error")
reason("unknown_column", "warning")

# cells
for _code in (
    "missing_value",
    "invalid_date",
    "ambiguous_date",
    "impossible_date",
    "invalid_number",
    "ambiguous_number",
    "not_integer",
    "invalid_bool",
    "invalid_enum",
    "pattern",
    "out_of_range",
    "bsn",
):
    reason(_code, "error")
reason("contact_details", "warning")

# across rows and tables
for _code in (
    "duplicate_id",
    "duplicate_key",
    "unknown_reference",
    "end_before_start",
    "contact_outside_trajectory",
    "derived_from_cycle",
    "derived_from_later_stage",
    "derived_from_other_trajectory",
    "score_out_of_scale",
    "unknown_domain",
    "instrument_mismatch",
    "no_price_or_amount",
    "missing_volume",
):
    reason(_code, "error")

# per trajectory
for _code in ("no_contacts", "no_goals", "no_scores"):
    reason(_code, "warning")

# study.toml [mapping] (issue 16)
reason("mapping_column", "error")
reason("mapping_code", "error")
