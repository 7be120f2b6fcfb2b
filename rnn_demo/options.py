"""Config fields declared once (type, default, help) and turned into command-line options.

    @dataclass
    class TrainConfig:
        lr: float = option(1e-3, "peak learning rate")
        schedule: str = option("constant", "learning-rate schedule", choices=SCHEDULES)

    add_options(parser, TrainConfig)        # --lr FLOAT, --schedule {constant,onecycle,cosine}
    given(args, TrainConfig)                # {"lr": 0.003}: only the options the user typed

The same metadata gives the Training tab its labels and help texts (`label`, `describe`), so a
new hyperparameter is one new line in its dataclass.
"""

import argparse
import types
import typing
from dataclasses import field, fields


def option(default, help: str, *, choices=None, cli: bool = True, label: str | None = None,
           flag: str | None = None):
    """A dataclass field with its help text.

    `cli=False` keeps it off the command line; `flag` replaces the --field-name option's name;
    `label` replaces the form label derived from the name.
    """
    return field(default=default, metadata={"help": help, "choices": choices, "cli": cli,
                                            "label": label, "flag": flag})


def check_all(checks) -> None:
    """A config's checklist: (ok, message) pairs; ValueError with the message of the first that fails."""
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


def from_environ(cls, environ):
    """`cls()` with each field its environment variable (cls.ENVIRON: field -> name) sets, as a
    whole number, then validated; ValueError names a bad variable."""
    values = {}
    for name, variable in cls.ENVIRON.items():
        if environ.get(variable, "").strip():
            try:
                values[name] = int(environ[variable])
            except ValueError:
                raise ValueError(f"{variable} must be a whole number, got {environ[variable]!r}") from None
    return cls(**values).validate()


def _field(cls, name: str):
    try:
        return next(f for f in fields(cls) if f.name == name)
    except StopIteration:
        raise KeyError(f"{cls.__name__} has no field {name!r}") from None


def describe(cls, name: str) -> str:
    """The field's help text."""
    return _field(cls, name).metadata.get("help", "")


def label(cls, name: str) -> str:
    """A short human label for a field: its declared label, else its name in words."""
    f = _field(cls, name)
    return f.metadata.get("label") or name.replace("_", " ").capitalize()


def choices(cls, name: str) -> tuple:
    return tuple(_field(cls, name).metadata.get("choices") or ())


def _base_type(annotation):
    """int for `int`, str for `str | None`; (type, accepts None)."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        concrete = [a for a in args if a is not type(None)]
        return concrete[0], type(None) in args
    return annotation, False


def _converter(base, nullable: bool):
    def convert(text: str):
        if nullable and text.strip().lower() in ("none", "null", ""):
            return None
        return base(text)
    convert.__name__ = base.__name__          # argparse names the type in its error messages
    return convert


def add_options(parser, cls, skip=(), title: str | None = None) -> None:
    """One --option per CLI field of the dataclass `cls`, defaults shown; absent unless typed."""
    group = parser.add_argument_group(title) if title else parser
    for f in fields(cls):
        if not f.metadata.get("cli", False) or f.name in skip:
            continue
        base, nullable = _base_type(f.type)
        text = f"{f.metadata['help']} (default: {'none' if f.default is None else f.default})"
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        kwargs = {"dest": f.name, "default": argparse.SUPPRESS, "help": text}
        if base is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = _converter(base, nullable)
            if f.metadata.get("choices"):
                kwargs["choices"] = f.metadata["choices"]
                kwargs["metavar"] = "{" + ",".join("none" if c is None else str(c)
                                                   for c in f.metadata["choices"]) + "}"
        group.add_argument(flag, **kwargs)


def given(args: argparse.Namespace, cls) -> dict:
    """The fields of `cls` that were typed on the command line, with their values."""
    return {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
