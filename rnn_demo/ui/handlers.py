"""`bind`: a module-level handler with its shared objects bound, that keeps its docstring for Gradio's API page."""

import functools


def bind(fn, *args, **kwargs) -> functools.partial:
    """functools.partial(fn, *args, **kwargs), documented as `fn`.

    Gradio's API page describes an endpoint by its function's docstring, and a bare partial's is
    "partial(func, *args, **keywords) - new function with partial application ...". Only the
    docstring is copied: with `__wrapped__` set, inspect.signature would give `fn`'s own
    parameters, bound ones included, and Gradio would expect an input for each.
    """
    bound = functools.partial(fn, *args, **kwargs)
    bound.__doc__ = fn.__doc__
    return bound
