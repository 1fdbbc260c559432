"""A lesson's formula as static HTML, for a report that opens offline (no MathJax or KaTeX to fetch).

The lessons' formulas use a small part of LaTeX: letters, sub- and superscripts, \\frac, \\sqrt, \\text, accents,
Greek letters and operators. ``to_html`` turns that part into HTML (fractions and stacked arrows with CSS, sub- and
superscripts as <sub>/<sup>, variables in italics); a command it does not know gives None, and the report then
shows the LaTeX source alone (it always shows it too). Every character of the source is escaped.
"""

from __future__ import annotations

import html
import re
from types import MappingProxyType

SYMBOLS = MappingProxyType({
    **{name: chr(code) for name, code in (
        ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5),
        ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("kappa", 0x3BA),
        ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1),
        ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6), ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8),
        ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B),
        ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9))},
    "sum": "∑", "prod": "∏", "mid": " | ", "le": " ≤ ", "leq": " ≤ ", "ge": " ≥ ", "geq": " ≥ ", "ne": " ≠ ",
    "neq": " ≠ ", "approx": " ≈ ", "in": " ∈ ", "notin": " ∉ ", "subseteq": " ⊆ ", "subset": " ⊂ ", "to": " → ",
    "rightarrow": " → ", "Rightarrow": " ⇒ ", "iff": " ⇔ ", "sim": " ∼ ", "propto": " ∝ ", "top": "⊤",
    "cdot": "·", "times": "×", "infty": "∞", "ldots": "…", "cdots": "⋯", "dots": "…", "partial": "∂",
    "nabla": "∇", "forall": "∀", "exists": "∃", "neg": "¬", "cup": "∪", "cap": "∩", "emptyset": "∅",
    "prime": "′", "ell": "ℓ", "hbar": "ℏ", "mapsto": " ↦ ", "leftarrow": " ← ", "gets": " ← ",
    "coloneqq": " ≔ ", "equiv": " ≡ ", "pm": " ± ", "ast": "∗", "star": "⋆", "circ": "∘", "setminus": " ∖ ",
    "lvert": "|", "rvert": "|", "vert": "|", "|": "‖", "langle": "⟨", "rangle": "⟩",
    "quad": "\u2003", "qquad": "\u2003\u2003", ",": "\u2009", ";": "\u2005", ":": "\u2005", " ": " ", "!": "",
    "{": "{", "}": "}", "_": "_", "%": "%", "#": "#", "&": "&",
    **{name: f"<span class=\"op\">{name}</span>" for name in (
        "log", "exp", "min", "max", "arg", "softmax", "lim", "sin", "cos", "det", "Pr")},
})
NEGATED = MappingProxyType({"Rightarrow": " ⇏ ", "in": " ∉ ", "=": " ≠ ", "subseteq": " ⊈ ", "sim": " ≁ ",
                           "mid": " ∤ ", "equiv": " ≢ "})  # \\not followed by one of these
IGNORED = frozenset({"left", "right", "big", "Big", "bigg", "Bigg", "textstyle", "displaystyle", "limits"})
TEXT = frozenset({"text", "mathrm", "textrm", "operatorname", "mathit", "textit"})
ACCENTS = MappingProxyType({"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"})
BLACKBOARD = MappingProxyType({"1": "𝟙", "R": "ℝ", "N": "ℕ", "Z": "ℤ", "E": "𝔼", "P": "ℙ"})
OPERATORS = MappingProxyType({"=": " = ", "<": " &lt; ", ">": " &gt; ", "+": " + ", "-": " − ", ",": ", ",
                              ";": "; ", "'": "′"})
TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_]|\s+|.", re.S)
CSS = """
.formula { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 1.25rem; line-height: 2.4; }
.formula .op, .formula .text { font-style: normal; }
.formula .op { margin-right: 0.2em; }
.formula .frac { display: inline-flex; flex-direction: column; vertical-align: middle; text-align: center;
  line-height: 1.3; margin: 0 0.15em; }
.formula .frac > .num { border-bottom: 1px solid currentColor; padding: 0 0.2em; }
.formula .frac > .den { padding: 0 0.2em; }
.formula .sqrt { border-top: 1px solid currentColor; padding-left: 0.1em; }
.formula .arrow { display: inline-flex; flex-direction: column; vertical-align: middle; text-align: center;
  line-height: 1.1; margin: 0 0.3em; }
.formula .arrow > .above { font-size: 0.7em; }
.formula sub, .formula sup { font-size: 0.7em; }
"""


class Unknown(ValueError):
    """A command or construction ``to_html`` does not render."""


def to_html(source: str) -> str | None:
    """``source`` (LaTeX math, without $$) as HTML, or None when it uses something this does not render."""
    try:
        tokens = TOKEN.findall(source)  # (spaces are tokens too: \\text{...} keeps them, math skips them)
        out, rest = _sequence(tokens, 0, closing=False)
    except (Unknown, IndexError, RecursionError):
        return None
    return out.replace("</i><i>", "") if rest == len(tokens) else None  # (a run of letters: one <i>)


def _sequence(tokens: list[str], i: int, closing: bool) -> tuple[str, int]:
    """Atoms with their scripts up to the end (or the "}" that closes a group, when ``closing``)."""
    out = []
    while i < len(tokens):
        if tokens[i].isspace():
            i += 1
            continue
        if tokens[i] == "}":
            if not closing:
                raise Unknown("unbalanced }")
            return "".join(out), i + 1
        atom, i = _atom(tokens, i)
        i = _skip(tokens, i)
        while i < len(tokens) and tokens[i] in ("^", "_"):
            tag = "sup" if tokens[i] == "^" else "sub"
            script, i = _argument(tokens, i + 1)
            atom += f"<{tag}>{script.strip()}</{tag}>"
            i = _skip(tokens, i)
        out.append(atom)
    if closing:
        raise Unknown("unclosed {")
    return "".join(out), i


def _argument(tokens: list[str], i: int) -> tuple[str, int]:
    """A command's argument or a script: a {group}, else one atom."""
    i = _skip(tokens, i)
    if tokens[i] == "{":
        return _sequence(tokens, i + 1, closing=True)
    return _atom(tokens, i)


def _raw(tokens: list[str], i: int) -> tuple[str, int]:
    """A {group}'s characters as text (\\text{...}), escaped."""
    i = _skip(tokens, i)
    if tokens[i] != "{":
        raise Unknown("\\text needs a {group}")
    depth, j = 1, i + 1
    while depth:
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        j += 1
    text = "".join(t[1:] if t.startswith("\\") and len(t) == 2 else t for t in tokens[i + 1:j - 1])
    return html.escape(text), j


def _atom(tokens: list[str], i: int) -> tuple[str, int]:
    t = tokens[i]
    if t == "{":
        return _sequence(tokens, i + 1, closing=True)
    if t in ("^", "_"):
        raise Unknown("a script without a base")
    if not t.startswith("\\"):
        if t.isascii() and t.isalpha():
            return f"<i>{t}</i>", i + 1
        return OPERATORS.get(t, html.escape(t)), i + 1
    return _command(t[1:], tokens, i + 1)


def _command(name: str, tokens: list[str], i: int) -> tuple[str, int]:
    if name in SYMBOLS:
        return SYMBOLS[name], i
    if name in IGNORED:
        return "", i
    if name in TEXT:
        text, i = _raw(tokens, i)
        return f'<span class="text">{text}</span>', i
    if name in ("frac", "dfrac", "tfrac"):
        num, i = _argument(tokens, i)
        den, i = _argument(tokens, i)
        return f'<span class="frac"><span class="num">{num}</span><span class="den">{den}</span></span>', i
    if name == "sqrt":
        body, i = _argument(tokens, i)
        return f'√<span class="sqrt">{body}</span>', i
    if name == "xrightarrow":
        above, i = _argument(tokens, i)
        return f'<span class="arrow"><span class="above">{above}</span><span>⟶</span></span>', i
    if name in ACCENTS:
        body, i = _argument(tokens, i)  # the accent goes on the last character, inside its <i> if any
        return re.sub(r"(</i>)?$", lambda m: ACCENTS[name] + (m.group(1) or ""), body, count=1), i
    if name == "not":
        i = _skip(tokens, i)
        negated = tokens[i].lstrip("\\")
        if negated not in NEGATED:
            raise Unknown(f"\\not {negated}")
        return NEGATED[negated], i + 1
    if name == "mathbb":
        letter, i = _raw(tokens, i)
        return BLACKBOARD.get(letter, letter), i
    raise Unknown(f"\\{name}")


def _skip(tokens: list[str], i: int) -> int:
    """Past the spaces at ``i`` (math ignores them)."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    return i
