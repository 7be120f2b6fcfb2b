"""Handlers at module level: `bind` gives one its shared objects; named results say what it changes.

    button.click(bind(stop, manager, visitors), inputs, outputs)   # stop(manager, visitors, ...)

    class Stopped(NamedTuple):          # what a handler changes, one field per output component
        status: Any
        note: Any = None
    return changed(Stopped, status="Stopping ...")       # fields not given: gr.skip()
    button.click(fn, inputs, outputs_of(Stopped, components))   # outputs=, in the fields' order
"""

import functools
import inspect
import typing

import gradio as gr


def bind(fn, *args, **kwargs):
    """`fn` with its first arguments bound (as functools.partial), that Gradio reads as it reads `fn`.

    A bare partial hides from Gradio what it reads off a handler: its docstring (the API page
    would show "partial(func, *args, **keywords) - new function ..."), its type hints (a
    `request: gr.Request` parameter would be taken for an input; gr.api types its endpoint from
    them) and whether it is a coroutine. So the bound handler is a function of its own with the
    remaining parameters' signature and hints, `fn`'s docstring, and a coroutine or a
    generator when `fn` is one. No
    `__wrapped__`: inspect.signature would follow it back to `fn`'s own parameters, bound ones
    included, and Gradio would expect an input for each.
    """
    partial = functools.partial(fn, *args, **kwargs)
    signature = inspect.signature(partial)
    try:
        hints = typing.get_type_hints(fn)
    except (NameError, TypeError):
        hints = {}
    if inspect.isasyncgenfunction(fn):                 # a handler that streams, asynchronously
        async def bound(*a, **k):
            async for update in partial(*a, **k):
                yield update
    elif inspect.isgeneratorfunction(fn):              # a handler that streams
        def bound(*a, **k):
            yield from partial(*a, **k)
    elif inspect.iscoroutinefunction(fn):
        async def bound(*a, **k):
            return await partial(*a, **k)
    else:
        def bound(*a, **k):
            return partial(*a, **k)
    bound.__signature__ = signature
    bound.__annotations__ = {n: h for n, h in hints.items() if n in signature.parameters or n == "return"}
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
