"""Argument checking for the public functions: a misspelled keyword or a value of the wrong type raises a short
:class:`ArgumentError` (a TypeError and a ConfigError) naming the argument and what is accepted, instead of
pybind11's "incompatible function arguments" listing a private signature. Path-like values are accepted where a
path string is."""

import difflib
import inspect
import os
import re

from ._core import ArgumentError

__all__ = ["checked", "require", "signature_of"]

_EMPTY = inspect.Parameter.empty


def _split_top(text, sep=","):
    """Split at `sep` outside brackets and quotes."""
    out, depth, quote, token = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == sep and depth == 0 and not quote:
            out.append(token.strip())
            token = ""
        else:
            token += ch
    if token.strip():
        out.append(token.strip())
    return out


def _default(text):
    try:
        return eval(text, {"__builtins__": {}}, {"None": None, "True": True, "False": False})  # literals only
    except Exception:  # pybind11 shows some defaults as reprs: keep them as text
        return text


def signature_of(func):
    """The inspect.Signature of a pybind11 function, from the first line of its docstring
    (``name(a: int, *, b: str = 'x') -> dict``); annotations are kept as text."""
    first = (func.__doc__ or "").split("\n")[0]
    inside = first[first.index("(") + 1:first.rindex(")")]
    params, kind = [], inspect.Parameter.POSITIONAL_OR_KEYWORD
    for token in _split_top(inside):
        if token == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        name, _, rest = token.partition(":")
        annotation, _, default = rest.partition("=")
        params.append(inspect.Parameter(name.strip(), kind, annotation=annotation.strip() or _EMPTY,
                                        default=_default(default.strip()) if default else _EMPTY))
    return inspect.Signature(params)


def _accepts(annotation, value):
    """Whether pybind11 would take `value` for an annotation such as 'int', 'str | None', 'list[int]'.
    Unknown annotations accept everything (the binding then checks)."""
    if not isinstance(annotation, str):
        return True
    ann = annotation.replace("typing.", "").replace("collections.abc.", "")
    m = re.fullmatch(r"Optional\[(.*)\]", ann)
    if m:
        ann = m.group(1) + " | None"
    options = _split_top(ann, "|")
    if len(options) > 1:
        return any(_accepts(o, value) for o in options)
    ann = options[0] if options else ann
    if ann == "None":
        return value is None
    if ann in ("int", "SupportsInt", "SupportsIndex"):
        return hasattr(value, "__index__")
    if ann in ("float", "SupportsFloat"):
        return not isinstance(value, (str, bytes)) and (hasattr(value, "__float__") or hasattr(value, "__index__"))
    if ann == "bool":
        return isinstance(value, bool) or type(value).__name__ == "bool_"
    if ann == "str":
        return isinstance(value, str)
    m = re.fullmatch(r"(?:list|List|Sequence)\[(.*)\]", ann)
    if m:
        return isinstance(value, (list, tuple)) and all(_accepts(m.group(1), v) for v in value)
    m = re.fullmatch(r"(?:dict|Dict|Mapping)\[(.*)\]", ann)
    if m:
        key, val = (_split_top(m.group(1)) + ["", ""])[:2]
        return isinstance(value, dict) and all(_accepts(key, k) and _accepts(val, v) for k, v in value.items())
    return True


def require(name, key, value, types, expected):
    """ArgumentError unless `value` is an instance of `types` (for parameters the binding takes as any object)."""
    if not isinstance(value, types):
        raise ArgumentError(f"{name}(): {key}={_describe(value)}, expected {expected}")


def _describe(value):
    text = repr(value)
    return (text if len(text) <= 40 else text[:37] + "...") + f" ({type(value).__name__})"


def _unknown(name, key, accepted):
    close = difflib.get_close_matches(key, accepted, 1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{name}(): unknown keyword {key!r}{hint}; accepted: {', '.join(accepted)}"


def check_arguments(name, sig, args, kwargs, types=None):
    """The bound arguments, path-likes turned into strings where a str is expected; ArgumentError when wrong.
    `types`: a signature whose annotations check the parameters of the same name (a pure-Python function checked
    against the binding it calls)."""
    accepted = [p.name for p in sig.parameters.values()
                if p.kind is not inspect.Parameter.VAR_KEYWORD and p.name != "self"]
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    for key in kwargs:
        if key not in accepted and not takes_any:
            raise ArgumentError(_unknown(name, key, accepted))
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise ArgumentError(f"{name}(): {e}; signature: {name}{sig}") from None
    for key, value in list(bound.arguments.items()):
        annotation = sig.parameters[key].annotation
        if types is not None and key in types.parameters and annotation is _EMPTY:
            annotation = types.parameters[key].annotation
        if isinstance(value, os.PathLike) and isinstance(annotation, str) and "str" in annotation:
            value = bound.arguments[key] = os.fspath(value)
        if value is None and sig.parameters[key].default is None:
            continue  # the Python function's own "not given"
        if not _accepts(annotation, value):
            raise ArgumentError(f"{name}(): {key}={_describe(value)}, expected {annotation}")
    return bound


def checked(func, name=None, doc=None, sig=None, binding=None):
    """`func` (a pybind11 or Python function) behind the argument check, with `doc` as its docstring; `binding`:
    the pybind11 function a Python `func` passes its arguments to (their types are checked before the call)."""
    name = name or func.__name__
    if sig is None:
        sig = inspect.signature(func) if inspect.isfunction(func) else signature_of(func)
    types = signature_of(binding) if binding is not None else None

    def wrapper(*args, **kwargs):
        bound = check_arguments(name, sig, args, kwargs, types)
        try:
            return func(*bound.args, **bound.kwargs)
        except ArgumentError:
            raise
        except TypeError as e:
            if "incompatible function arguments" not in str(e):
                raise
            given = ", ".join(f"{k}={_describe(v)}" for k, v in bound.arguments.items())
            raise ArgumentError(f"{name}(): wrong argument types: {given}; signature: {name}{sig}") from None

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = doc if doc is not None else func.__doc__
    wrapper.__signature__ = sig
    wrapper.__wrapped_binding__ = func
    wrapper.__module__ = "bignlp_hp"
    return wrapper
