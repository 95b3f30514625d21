"""A self-contained HTML report: the metrics table, every figure inlined as a base64 PNG and
every animation as a base64 GIF, each with its caption.

:func:`render` is the whole page (report.html); :func:`metrics_table` and :func:`img_tag` are
its parts, which the notebook view of an evaluation (``Evaluation._repr_html_``) reuses.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from stgan.report.markdown import comparison_text

_STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}
th{background:#eee}img{max-width:100%}.figs{display:flex;flex-wrap:wrap;align-items:flex-start}
figure{margin:4px;max-width:520px}figcaption{font-size:small;color:#444}"""


def img_tag(stem: str, image: bytes, *, style: str = "", mime: str = "image/png") -> str:
    """An ``<img>`` of image bytes (``mime``: PNG by default) as a data: URI (the page needs no
    file beside it)."""
    data = base64.b64encode(image).decode("ascii")
    extra = f' style="{html.escape(style)}"' if style else ""
    return f'<img alt="{html.escape(stem)}"{extra} src="data:{mime};base64,{data}">'


def _figure(tag: str, caption: str | None) -> str:
    text = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{tag}{text}</figure>"


def metrics_table(result: dict[str, Any]) -> str:
    """The scalar metrics of every variable (rows) as an HTML table, ``–`` where undefined."""
    keys = [
        k
        for k, v in next(iter(result["variables"].values())).items()
        if k != "units" and not isinstance(v, list)
    ]
    head = "".join(f"<th>{html.escape(k)}</th>" for k in ["variable", *keys])
    rows = []
    for name, m in result["variables"].items():
        cells = "".join(f"<td>{'–' if m[k] is None else f'{m[k]:.4g}'}</td>" for k in keys)
        rows.append(f"<tr><td>{html.escape(name)} ({html.escape(m['units'])})</td>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render(
    result: dict[str, Any],
    images: dict[str, dict[str, bytes]],
    *,
    animations: dict[str, dict[str, bytes]] | None = None,
    captions: dict[str, dict[str, str]] | None = None,
) -> str:
    """HTML for an evaluation ``result`` (the metrics.json content) and its pictures.

    ``images`` is variable → PNG file stem → PNG bytes, ``animations`` variable → GIF stem →
    GIF bytes (shown after the figures), ``captions`` variable → stem → caption.
    """
    t, h, w = result["window"]
    units = ", ".join(f"{html.escape(k)}: {html.escape(v)}" for k, v in result["units"].items())
    word = result["comparison"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>stgan evaluation</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>stgan evaluation report: generated vs {word} data</h1>",
        f"<p>{html.escape(comparison_text(result))}: <code>{html.escape(result['real'])}</code> "
        f"({result['n_real_windows']} windows); "
        f"generated: <code>{html.escape(result['generated'])}</code> "
        f"({result['n_generated']} samples); window {t} × {h} × {w}</p>",
        f"<h2>Generated vs {word} data</h2>",
        f"{metrics_table(result)}<p><small>units: {units}</small></p>",
    ]
    for name, pngs in images.items():
        said = (captions or {}).get(name, {})
        tags = [_figure(img_tag(stem, png), said.get(stem)) for stem, png in pngs.items()]
        gifs = (animations or {}).get(name, {}).items()
        tags += [
            _figure(img_tag(stem, gif, mime="image/gif"), said.get(stem)) for stem, gif in gifs
        ]
        tags = "".join(tags)
        parts.append(f"<h2>{html.escape(name)}</h2><div class='figs'>{tags}</div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
