"""Charts and SmartArt on PowerPoint slides as text: what a slide says in them is as much its content as its boxes.

python-pptx gives a chart's title, categories and series (read here as a table: one line per category naming each
series' value), but not SmartArt: its text lives in the diagram's data part, a tree of points joined by
connections, read here by hand in the tree's order (top-level points first, each followed by its children).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from saferag.ingest.formats.common import cell_text, one_line, row_line

_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_DIAGRAM_URI = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
_CONTENT_POINTS = (None, "node", "asst")  # not the document root, connectors' own points or layout points
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def chart_lines(chart: Any) -> list[str]:
    """The chart's title, then its data: a row per category (``Q1: Sales: 8.2; Cost: 3``), or for a chart without
    categories (scatter) each series' points."""
    lines = []
    if chart.has_title and chart.chart_title.has_text_frame and (title := one_line(chart.chart_title.text_frame.text)):
        lines.append(title)
    for plot in chart.plots:
        series = list(plot.series)
        categories = [one_line(c) for c in plot.categories]
        if categories:
            values = [list(s.values) for s in series]
            names = [""] + [one_line(s.name) for s in series]  # series without names: values alone
            lines += [row_line(names, [category] + [cell_text(v[i]) if i < len(v) else "" for v in values])
                      for i, category in enumerate(categories)]
        else:
            for s in series:
                xs = [_number(pt) for pt in s._element.iterfind(f"{_C}xVal//{_C}pt/{_C}v")]
                ys = [cell_text(v) for v in s.values]
                points = [f"({x}, {y})" for x, y in zip(xs, ys, strict=False)] if xs else ys
                lines.append(f"{one_line(s.name)}: {', '.join(points)}")
    return [line for line in lines if line]


def smartart_lines(frame: Any) -> list[str]:
    """The text of the SmartArt in a graphic frame, one line per point in the diagram's order; [] for any other."""
    data = frame._element.find(f".//{_A}graphicData[@uri='{_DIAGRAM_URI}']")
    ids = data.find(f"{_DGM}relIds") if data is not None else None
    if ids is None or not (rel := ids.get(f"{_R}dm")):
        return []
    try:
        root = etree.fromstring(frame.part.related_part(rel).blob, _PARSER)
    except (KeyError, etree.XMLSyntaxError):
        return []  # a dangling relationship or a broken part: the slide's other text is still read
    points = {pt.get("modelId"): pt for pt in root.iter(f"{_DGM}pt")}
    children: dict[str | None, list[tuple[int, str]]] = {}
    for cxn in root.iter(f"{_DGM}cxn"):
        if cxn.get("type", "parOf") == "parOf":
            order = cxn.get("srcOrd", "0")
            children.setdefault(cxn.get("srcId"), []).append((int(order) if order.isdigit() else 0,
                                                               cxn.get("destId", "")))
    roots = [i for i, pt in points.items() if pt.get("type") == "doc"] or list(points)[:1]
    lines: list[str] = []
    seen: set[str | None] = set()
    stack = list(reversed(roots))
    while stack:  # depth first, siblings in their order; a cycle in a damaged file is read once
        point_id = stack.pop()
        if point_id in seen or point_id not in points:
            continue
        seen.add(point_id)
        point = points[point_id]
        if point.get("type") in _CONTENT_POINTS and (text := _point_text(point)):
            lines.append(text)
        stack.extend(dest for _, dest in sorted(children.get(point_id, []), reverse=True))
    return lines


def _point_text(point: Any) -> str:
    body = point.find(f"{_DGM}t")
    if body is None:
        return ""
    paras = ("".join(t.text or "" for t in p.iter(f"{_A}t")) for p in body.iter(f"{_A}p"))
    return "; ".join(one_line(p) for p in paras if one_line(p))


def _number(value: Any) -> str:
    try:
        return cell_text(float(value.text))
    except (TypeError, ValueError):
        return one_line(value.text or "")
