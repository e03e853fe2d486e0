"""HTML building blocks of the council report: a displayable section, escaping, images, tables."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from typing import Any

__all__ = ["HTMLSection", "esc", "png", "key_value_rows", "row_header_table"]


class HTMLSection:
    """A piece of HTML that Jupyter displays as such (``text/html`` only)."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:  # plain-text fallback carries no data
        return "<report section>"


def esc(s: Any) -> str:
    """``s`` as text, HTML-escaped (quotes too)."""
    return html.escape(str(s), quote=True)


def png(fig: Any, alt: str) -> str:
    """A matplotlib Figure as an inline PNG ``<img>`` (deterministic bytes, no metadata)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" alt="{esc(alt)}">'


def key_value_rows(rows: Iterable[tuple[str, str]]) -> str:
    """``<tr><th scope='row'>key</th><td>value</td></tr>`` rows; keys escaped, values as given."""
    return "".join(f"<tr><th scope='row'>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)


def row_header_table(pub: Any, cls: str, caption: str) -> str:
    """A one-column table of published strings with its index as row headers."""
    body = "".join(
        f"<tr><th scope='row'>{esc(i)}</th><td class='num'>{esc(v)}</td></tr>"
        for i, v in zip(pub.index, pub.iloc[:, 0], strict=True)
    )
    return f'<table class="{cls}"><caption>{esc(caption)}</caption><tbody>{body}</tbody></table>'
