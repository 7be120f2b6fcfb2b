"""The page's answer can never be an older drawing's: every event that writes the answer is one
event, which the page keeps at most one of in flight and runs again for the latest trigger."""

import app


def test_the_answer_is_written_by_one_event_whatever_triggers_it():
    label = next(b for b in app.demo.blocks.values() if getattr(b, "elem_id", None) == "sketch-prediction")
    writers = [fn for fn in app.demo.fns.values() if label in fn.outputs and fn.fn is not None]
    assert len(writers) == 2, [fn.name for fn in writers]        # the page's answer and /predict
    page = [fn for fn in writers if not fn.queue]
    assert len(page) == 1 and page[0].trigger_mode == "always_last"
    ids = {b._id: getattr(b, "elem_id", None) for b in app.demo.blocks.values()}
    assert {(ids[target], event) for target, event in page[0].targets} == {("sketchpad", "change"),
                                                                        ("sketch-model", "change")}
    api = next(fn for fn in writers if fn.queue)
    assert api.api_name == "predict" and [ids[t] for t, e in api.targets] == ["sketchpad"]
