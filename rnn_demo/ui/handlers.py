"""Handlers at module level: `bind` gives one its shared objects; named results say what it changes.

    class Stopped(NamedTuple):          # what a handler changes, one field per output component
        status: Any
        note: Any = None
    return changed(Stopped, status="Stopping ...")       # fields not given: gr.skip()
    button.click(fn, inputs, outputs_of(Stopped, components))   # outputs=, in the fields' order
"""

import functools

import gradio as gr


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


def changed(kind, **values):
    """A `kind` (a NamedTuple, one field per output) with `values`; every other field gr.skip()."""
    unknown = set(values) - set(kind._fields)
    if unknown:
        raise TypeError(f"{kind.__name__} has no field(s) {', '.join(sorted(unknown))}")
    return kind(**{name: values[name] if name in values else gr.skip() for name in kind._fields})


def outputs_of(kind, components: dict) -> list:
    """The components a `kind` of result feeds, in its fields' order: the event's `outputs=`."""
    return [components[name] for name in kind._fields]
