"""Tables of result rows: pandas DataFrames with nullable dtypes (Int64, Float64, boolean, string; a missing value
is <NA>, never -1 or "") and small HTML tables for notebooks (``_repr_html_``)."""

import html
import math

__all__ = ["RowsResult", "columns_of", "frame", "html_table", "format_value"]


def columns_of(rows, names=None):
    """Rows (dicts with the same keys) as {column: [values]}; `names` orders the columns when there are no rows."""
    names = list(names if names is not None else (rows[0].keys() if rows else []))
    return {n: [r.get(n) for r in rows] for n in names}


def _dtype(values):
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "Int64"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "Float64"
    if all(isinstance(v, str) for v in present):
        return "string"
    return None


def frame(columns, dtypes=None):
    """A DataFrame of {column: [values]} with a nullable dtype per column: from `dtypes` (for columns that may hold
    only missing values), else from the Python values (bool -> boolean, int -> Int64, float -> Float64,
    str -> string). Needs pandas."""
    import pandas as pd  # optional dependency

    dtypes = dtypes or {}
    data = {}
    for name, values in columns.items():
        values = list(values)
        dt = dtypes.get(name) or _dtype(values)
        data[name] = pd.array(values, dtype=dt) if dt else pd.array(values, dtype=object)
    return pd.DataFrame(data)


def format_value(value):
    """A cell as text: None -> '', floats with 4 significant digits (integers in full), bools as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    return str(value)


def html_table(columns, caption="", max_rows=20):
    """An HTML table of {column: [values]} (the first `max_rows` rows, then a line saying how many are left)."""
    names = list(columns)
    n = len(columns[names[0]]) if names else 0
    head = "".join(f"<th>{html.escape(c)}</th>" for c in names)
    body = []
    for i in range(min(n, max_rows)):
        cells = "".join(f"<td>{html.escape(format_value(columns[c][i]))}</td>" for c in names)
        body.append(f"<tr>{cells}</tr>")
    if n > max_rows:
        more = f"... {n - max_rows} more rows (.to_pandas() has them all)"
        body.append(f'<tr><td colspan="{len(names)}">{more}</td></tr>')
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class RowsResult:
    """Shared behaviour of a result whose ``rows`` are dicts of one schema (the inference and serving searches):
    ``len()``, a one-line repr from ``_summary()``, an HTML table of the ``_SHOWN`` columns of the top rows, and
    ``to_pandas()`` with the ``_DTYPES`` of the columns that may hold only missing values."""

    _SHOWN = ()
    _DTYPES = {}

    def __len__(self):
        return len(self.rows)

    def _summary(self):
        raise NotImplementedError

    def __repr__(self):
        return f"<{self._summary()}>"

    def _repr_html_(self):
        return html_table(columns_of(self.top or self.rows, self._SHOWN), self._summary(), max_rows=15)

    def to_pandas(self):
        """Every candidate as a pandas DataFrame: the columns of ``rows``, nullable dtypes (<NA> where a value is
        None: not ranked, not measured, not applicable)."""
        names = list(self.rows[0].keys()) if self.rows else list(self._SHOWN)
        return frame(columns_of(self.rows, names), self._DTYPES)
