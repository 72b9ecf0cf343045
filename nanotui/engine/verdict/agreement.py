"""How far graders agree: Krippendorff's alpha with the ordinal metric, and how often one
grader gives the same grade when the order of the candidates is swapped.

Alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"): from the
coincidence matrix o[c][k] of the values pairable within each unit (a unit is a candidate,
its values the graders' grades; a unit with fewer than two values is left out),
``alpha = 1 - D_o / D_e`` with ``D_o = sum o[c][k] d2(c,k) / n`` and
``D_e = sum n_c n_k d2(c,k) / (n (n - 1))``; the ordinal distance is
``d2(c,k) = (sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2``. 1 is perfect agreement, 0 what
chance gives; undefined with fewer than two graders or when every value is the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def ordinal_alpha(units: Sequence[Sequence[int]]) -> tuple[float | None, str | None]:
    """``units``: per candidate, the values (points, higher is better) its graders gave.
    Returns (alpha, None) or (None, why it is undefined)."""
    pairable = [list(u) for u in units if len(u) >= 2]
    if not pairable:
        return None, "fewer than two grades for every candidate (one juror, or the others failed)"
    values = sorted({v for u in pairable for v in u})
    if len(values) == 1:
        return None, "no variance: every grade is the same"
    index = {v: i for i, v in enumerate(values)}
    size = len(values)
    o = [[0.0] * size for _ in range(size)]
    for unit in pairable:
        m = len(unit)
        for i, a in enumerate(unit):
            for j, b in enumerate(unit):
                if i != j:
                    o[index[a]][index[b]] += 1.0 / (m - 1)
    n_c = [sum(row) for row in o]
    n = sum(n_c)

    def d2(c: int, k: int) -> float:
        lo, hi = min(c, k), max(c, k)
        return (sum(n_c[lo : hi + 1]) - (n_c[c] + n_c[k]) / 2) ** 2

    observed = sum(o[c][k] * d2(c, k) for c in range(size) for k in range(size))
    expected = sum(n_c[c] * n_c[k] * d2(c, k) for c in range(size) for k in range(size)) / (n - 1)
    if expected == 0:
        return None, "no variance: every grade is the same"
    return 1.0 - observed / expected, None


def position_consistency(passes: Sequence[Mapping[str, str | None]]) -> float | None:
    """Share of candidates graded the same in both orders (``None`` with fewer than two
    passes or no candidate graded in both)."""
    if len(passes) < 2:
        return None
    first, second = passes[0], passes[1]
    both = [a for a in first if first[a] is not None and second.get(a) is not None]
    if not both:
        return None
    return sum(first[a] == second[a] for a in both) / len(both)
