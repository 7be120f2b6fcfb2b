"""Adapt to my handwriting: the My digits section's button, its streamed progress and before/after.

The fine-tune is a run of the lab's RunManager (`RunManager.adapt`, rnn_demo/mnist/adapt.py for
the protocol): it waits its turn on the device like any training, counts against its owner's
quota, belongs to the browser that asked (its owner token, ui/visitors.py), can be stopped or
deleted from the Training tab, and once completed is a model in every list, named after its
source. The digits go to the server for the run only and are deleted once it has trained.

Handlers first (module level: the manager, visitors and registry passed in), then
`build_adapt`.
"""

import time

import gradio as gr

from ...mnist.adapt import AdaptConfig
from ...mnist.my_digits import as_tensors
from ...mnist.registry import ModelRegistry
from ...mnist.runs.log import Curves
from ...mnist.runs.manager import ACTIVE, RunManager
from ...mnist.runs.quotas import QuotaError
from ..handlers import bind
from ..visitors import Visitors
from .stored_set import mine

POLL_SECONDS = 0.5
ADAPT_SECONDS = 20.0          # the time budget asked of each fine-tune (AdaptConfig.seconds)
EXPLAIN = ("**Adapt to my handwriting** fine-tunes the chosen model for about "
           f"{ADAPT_SECONDS:.0f} s on your digits mixed with MNIST training images (so it does not "
           "forget MNIST). Part of your set is held out to measure it honestly. The new model is a "
           "run of this lab: it joins everyone's model list, like every run, and only you (this browser, "
           "or your login) can stop or delete it (Training tab).")


def _pct(x, digits: int = 1) -> str:
    return "?" if x is None else f"{100 * x:.{digits}f}%"


def adapt_progress(record: dict, curves: Curves) -> str:
    """What a fine-tune run is doing, as Markdown: queued, measuring, fold k of K, the final
    fine-tune's steps; finished: the before/after table (held-out digits, MNIST val and test)."""
    status, plan = record["status"], curves.adapt
    if status == "queued":
        return (f"Queued on {record['train_config']['device']}, position {record.get('position') or '?'}: "
                "another run is training there; yours starts when it ends.")
    if status == "running" and plan is None:
        return "Measuring the model on your digits and on MNIST before fine-tuning ..."
    if status == "running":
        runs, done = plan["runs"], len(curves.folds)
        step = curves.steps[-1] if curves.steps and done == runs - 1 else None
        which = (f"held-out estimate {done + 1} of {runs - 1}" if done < runs - 1 else
                 f"final fine-tune on all your digits, step {step or 0} of {plan['steps']}")
        return f"Fine-tuning: {which} ({plan['steps']} steps of {plan['batch_size']} images each) ..."
    if status != "completed" or curves.end is None:
        reason = f": {record['reason']}" if record.get("reason") else ""
        return f"**Adaptation {status}**{reason}."
    held_after = sum(f["correct"] for f in curves.folds) / max(plan["held_out"], 1)
    end = curves.end
    protocol = (f"{plan['protocol']}: each digit read by a fine-tune that did not see it"
                if "fold" in plan["protocol"] else f"{plan['protocol']} of your set, not trained on")
    return "\n".join([
        f"**`{plan['source']}` adapted to your {plan['digits']} digits** in "
        f"{end.get('adapt_seconds', record.get('seconds') or 0):.0f} s "
        f"({plan['runs']} fine-tunes of {plan['steps']} steps; {100 * plan['my_share']:.0f}% of each "
        "batch your digits, the rest MNIST).",
        "",
        "| measured on | before | after |",
        "|---|---|---|",
        f"| your held-out digits ({plan['held_out']}; {protocol}) | {_pct(plan['held_out_before'])} | "
        f"**{_pct(held_after)}** |",
        f"| MNIST validation (first {plan['mnist_val_images']:,} images) | {_pct(plan['mnist_val_before'], 2)} | "
        f"{_pct(end.get('val_acc'), 2)} |",
        f"| MNIST test (10,000 images) | {_pct(plan['source_test_acc'], 2)} | {_pct(end.get('test_acc'), 2)} |",
        "",
        f"The adapted model **{record['name']}** is now in the model list, and chosen.",
    ])


def adapt_start(manager: RunManager, visitors: Visitors, registry: ModelRegistry, stored, model_path,
                who, request: gr.Request):
    """"Adapt" pressed: queue a fine-tune of the chosen model to this browser's set, then stream
    its progress; the last update chooses the adapted model. Yields (progress, model dropdown, who)."""
    (me, who), skip = visitors.identify(who, request), gr.skip()
    digits, _ = mine(stored, request)
    entry = registry.scan().choose(model_path)
    if entry is None:
        yield "**Not adapted:** choose a model first.", skip, who
        return
    images, labels = as_tensors(digits)
    name = f"{entry.name} adapted to my digits"
    try:
        record = manager.adapt(entry.path, images, labels, AdaptConfig(seconds=ADAPT_SECONDS),
                               name=name, by=me)
    except (ValueError, QuotaError) as e:          # AdaptError is a ValueError: the reason is its text
        yield f"**Not adapted:** {e}", skip, who
        return
    run_id, shown = record["id"], None
    while True:
        record = manager.get(run_id)
        text = adapt_progress(record, manager.curves(run_id))
        if record["status"] not in ACTIVE:
            break
        if text != shown:
            shown = text
            yield text, skip, who
        time.sleep(POLL_SECONDS)
    listing = registry.scan()
    adapted = next((e for e in listing.entries if e.run_id == run_id), None)
    if adapted is None:                               # stopped or failed: the text says so
        yield text, skip, who
        return
    yield text, gr.Dropdown(choices=[(e.label, e.path) for e in listing.entries], value=adapted.path), who


def build_adapt(manager: RunManager, visitors: Visitors, registry: ModelRegistry, stored, model_dd):
    """The button and its progress, inside the My digits section; wired to the set and model choice."""
    with gr.Row():
        button = gr.Button("Adapt the chosen model to my handwriting", size="sm", variant="primary",
                           elem_id="my-digits-adapt", scale=1)
        gr.Markdown(EXPLAIN, elem_id="my-digits-adapt-about")
    progress = gr.Markdown(elem_id="my-digits-adapt-status")
    # Polling only: the work waits in the manager's device queue, so no concurrency limit here;
    # the owner's quota caps how many fine-tunes one browser can have.
    button.click(bind(adapt_start, manager, visitors, registry),
                 [stored, model_dd, visitors.who], [progress, model_dd, visitors.who],
                 api_visibility="private", concurrency_limit=None, show_progress="minimal")
    return button
