"""Named experiments: a model config plus the training recipe that goes with it.

The first nine reproduce the reference notebook (its test accuracy after 10 epochs is kept
as `notebook_acc`); `gru`, `fast`, `gpu-1s`, `gpu-5s` and `best` are ours.
"""

from dataclasses import dataclass, field, fields, replace

from .model import RowRNNConfig
from .train import TrainConfig, validate_configs

MODEL_FIELDS = tuple(f.name for f in fields(RowRNNConfig))
TRAIN_FIELDS = tuple(f.name for f in fields(TrainConfig))


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    model: RowRNNConfig
    train: TrainConfig = field(default_factory=TrainConfig)
    notebook_acc: float | None = None          # percent, from the reference notebook
    shipped: bool = True                       # a checkpoint ships in checkpoints/; `reproduce` retrains it

    def configs(self, **overrides) -> tuple[RowRNNConfig, TrainConfig]:
        """This preset's (model, recipe), validated, with any field of either one changed.

        The one path from a preset, the command line or a form to the configs: each override
        names a field of RowRNNConfig or of TrainConfig (no name is in both).
        """
        unknown = set(overrides) - set(MODEL_FIELDS) - set(TRAIN_FIELDS)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        model = replace(self.model, **{k: v for k, v in overrides.items() if k in MODEL_FIELDS})
        train = replace(self.train, **{k: v for k, v in overrides.items() if k in TRAIN_FIELDS})
        return validate_configs(model, train)


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("rnn", "RNN tanh 128 + Linear", RowRNNConfig(cell="rnn"), notebook_acc=92.40),
    Preset("rnn-relu-256", "RNN relu 256 + Linear, lr 3e-4",
           RowRNNConfig(cell="rnn", nonlinearity="relu", hidden_size=256), TrainConfig(lr=3e-4),
           notebook_acc=93.25),
    Preset("rnn-bn-mlp", "RNN 128 + BatchNorm + Linear 64 + Linear",
           RowRNNConfig(cell="rnn", norm="batch", head="mlp"), notebook_acc=96.53),
    Preset("lstm", "LSTM 128 + Linear", RowRNNConfig(cell="lstm"), notebook_acc=97.28),
    Preset("lstm-bn-mlp", "LSTM 128 + BatchNorm + Linear 64 + Linear",
           RowRNNConfig(cell="lstm", norm="batch", head="mlp"), notebook_acc=98.14),
    Preset("birnn", "BiRNN 128 + Linear", RowRNNConfig(cell="rnn", bidirectional=True),
           notebook_acc=96.40),
    Preset("bilstm", "BiLSTM 128 + Linear", RowRNNConfig(cell="lstm", bidirectional=True),
           notebook_acc=97.31),
    Preset("bilstm-ln-mlp", "BiLSTM 128 + LayerNorm + Linear 64 + Linear",
           RowRNNConfig(cell="lstm", bidirectional=True, norm="layer", head="mlp"), notebook_acc=98.04),
    Preset("bilstm-ln", "BiLSTM 128 + LayerNorm + Linear",
           RowRNNConfig(cell="lstm", bidirectional=True, norm="layer"), notebook_acc=97.66),
    Preset("gru", "GRU 128 + Linear (not in the notebook)", RowRNNConfig(cell="gru")),
    # A good model in seconds: OneCycle lets a large peak rate converge in 3 epochs
    # (docs/time-to-accuracy.md).
    Preset("fast", "GRU 128 + Linear, 3 epochs, batch 256, OneCycle 1e-2, AdamW",
           RowRNNConfig(cell="gru"),
           TrainConfig(epochs=3, batch_size=256, lr=1e-2, schedule="onecycle", optimizer="adamw",
                       weight_decay=1e-4, grad_clip=1.0)),
    # The GPU's answers to "how good in how little time" (docs/time-to-accuracy.md): chosen on
    # the validation split by `python -m rnn_demo.bench gpu` on an H200, one per budget.
    Preset("gpu-1s", "GRU 128 + Linear, 8 epochs, batch 2048, OneCycle 2e-2, AdamW (98% in 1 s on a GPU)",
           RowRNNConfig(cell="gru"),
           TrainConfig(epochs=8, batch_size=2048, lr=2e-2, schedule="onecycle", optimizer="adamw",
                       weight_decay=1e-4, grad_clip=1.0), shipped=False),
    Preset("gpu-5s", "GRU 256 + Linear, 18 epochs, batch 1024, OneCycle 1e-2, AdamW, 1 px shifts "
           "(99% in 5 s on a GPU)",
           RowRNNConfig(cell="gru", hidden_size=256),
           TrainConfig(epochs=18, batch_size=1024, lr=1e-2, schedule="onecycle", optimizer="adamw",
                       weight_decay=1e-4, grad_clip=1.0, max_shift=1), shipped=False),
    # The most accurate row reader: two bidirectional GRU layers whose outputs at every row reach
    # the head (last states + mean + max), trained 30 epochs on digits shifted, rotated and
    # scaled on the device, scored and saved as an exponential moving average of its weights
    # (docs/best.md). A GPU trains it in about two minutes; a 2-core CPU takes hours.
    Preset("best", "BiGRU 256 x 2 layers, pooled readout, 30 epochs, OneCycle 3e-3, AdamW, "
           "shifts/rotations/scaling, weight EMA",
           RowRNNConfig(cell="gru", hidden_size=256, num_layers=2, bidirectional=True, dropout=0.15,
                        readout="pool"),
           TrainConfig(epochs=30, batch_size=256, lr=3e-3, schedule="onecycle", optimizer="adamw",
                       weight_decay=1e-4, grad_clip=1.0, label_smoothing=0.05, max_shift=2,
                       max_rotation=10.0, max_scale=0.1, ema=0.999)),
]}

NOTEBOOK_PRESETS = [name for name, p in PRESETS.items() if p.notebook_acc is not None]
SHIPPED_PRESETS = [name for name, p in PRESETS.items() if p.shipped]


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
