"""A tiny document model rendered both to Markdown and to self-contained HTML."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    align_right: bool = True


@dataclass
class Image:
    path: str  # relative to the report folder
    alt: str


@dataclass
class Document:
    blocks: list[Heading | Para | Table | Image] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(Heading(level, text))

    def p(self, text: str) -> None:
        self.blocks.append(Para(text))

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(Table(headers, rows))

    def image(self, path: str, alt: str) -> None:
        self.blocks.append(Image(path, alt))


#: a cell that reads as a figure: $1,234 · 38.4% · < 0.3% · −$12k · 2.6× · 7.1 · n/a · unchanged
_FIGURE = re.compile(r"^([<>]\s*)?[−+\-]?\$?[\d.,]+\s*(%|×|x|k|M|B|h)?(\s*(±|–)\s*.*)?$|^n/a$|^unchanged$|^$")


def numeric_columns(table: Table) -> list[bool]:
    """Which columns hold figures (right-aligned, so digits line up) rather than names (left)."""
    return [i > 0 and all(_FIGURE.match(row[i].strip()) for row in table.rows) for i in range(len(table.headers))]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: Document) -> str:
    out: list[str] = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            out.append(f"{'#' * b.level} {b.text}\n")
        elif isinstance(b, Para):
            out.append(f"{b.text}\n")
        elif isinstance(b, Table):
            out.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            out.append("|" + "|".join("---:" if n else ":---" for n in numeric_columns(b)) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("")
        else:
            out.append(f"![{b.alt}]({b.path})\n")
    return "\n".join(out)


_CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.3em .6em}td{text-align:left}td.n{text-align:right}
th{background:#f2f2f2}img{max-width:100%;border:1px solid #eee;margin:.5em 0}
code{background:#f4f4f4;padding:0 .2em}h1{border-bottom:2px solid #333}h2{border-bottom:1px solid #ccc}"""


def _inline(text: str) -> str:
    """Escape, then render `code` and **bold** as Markdown would."""
    t = html.escape(text)
    t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", t)


def to_html(doc: Document, root: Path, title: str) -> str:
    """Self-contained HTML: images embedded as base64 data URIs."""
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
           f"<style>{_CSS}</style></head><body>"]
    for b in doc.blocks:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}>{_inline(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            out.append(f"<p>{_inline(b.text)}</p>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{_inline(h)}</th>" for h in b.headers)
            cls = ["<td class='n'>" if n else "<td>" for n in numeric_columns(b)]
            body = "".join("<tr>" + "".join(f"{td}{_inline(c)}</td>" for td, c in zip(cls, row, strict=True))
                           + "</tr>" for row in b.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            data = base64.b64encode((root / b.path).read_bytes()).decode("ascii")
            out.append(f"<figure><img alt='{html.escape(b.alt)}' src='data:image/png;base64,{data}'></figure>")
    out.append("</body></html>")
    return "\n".join(out)
