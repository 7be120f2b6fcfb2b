"""The `runs` commands (list, stop, delete): the operator's hand on the Training tab's runs.

    python -m rnn_demo runs list                  # every run in $RNN_DEMO_RUNS (or ./runs), newest first
    python -m rnn_demo runs stop RUN_ID ...       # the app serving it stops it (through its stop file)
    python -m rnn_demo runs delete RUN_ID ...     # a finished run's folder

The command line is the operator: it may stop or delete anyone's run (see quotas.py).
Registered by `rnn_demo.cli`.
"""

import os
from pathlib import Path

from .manager import ACTIVE, RunManager


def _runs_manager(args) -> RunManager:
    """The runs folder the app uses, managed as the operator (who may stop or delete any run)."""
    if not Path(args.runs).is_dir():
        raise ValueError(f"no runs folder at {args.runs} (set --runs or RNN_DEMO_RUNS)")
    return RunManager(args.runs)


def cmd_runs_list(args) -> int:
    records = _runs_manager(args).list_runs()
    print(f"{len(records)} run(s) in {args.runs}")
    for r in records:
        owner = (f"user {r['owner_name']}" if isinstance(r.get("owner_name"), str) else
                 f"visitor {r['owner'][:8]}" if isinstance(r.get("owner"), str) and len(r["owner"]) == 64
                 else "command line")
        accuracy = " ".join(f"{k} {100 * r[k]:.2f}%" for k in ("best_val_acc", "test_acc") if r.get(k))
        print(f"{r['id']}  {r['status']:<11} {r['device']:<8} {owner:<17} {accuracy}".rstrip())
    return 0


def cmd_runs_stop(args) -> int:
    manager = _runs_manager(args)
    for run_id in args.ids:
        record = manager.stop(run_id)
        if record["status"] not in ACTIVE:
            print(f"{run_id}: already {record['status']}")
        elif manager.get(run_id)["status"] == "stopped":
            print(f"{run_id}: stopped")
        else:
            print(f"{run_id}: asked the app serving it to stop it ({record['status']}: "
                  f"{'after its current step' if record['status'] == 'running' else 'when its turn comes'})")
    return 0


def cmd_runs_delete(args) -> int:
    manager = _runs_manager(args)
    for run_id in args.ids:
        manager.delete(run_id)
        print(f"{run_id}: deleted")
    return 0


def register(sub) -> None:
    """Add the `runs` command group to the top-level parser's subcommands."""
    p = sub.add_parser("runs", help="list, stop or delete the Training tab's runs, anyone's (the operator)")
    actions = p.add_subparsers(dest="action", required=True)
    for action, func, text in (("list", cmd_runs_list, "every run, newest first"),
                               ("stop", cmd_runs_stop, "stop runs (a running one after its current step)"),
                               ("delete", cmd_runs_delete, "delete finished runs' folders")):
        a = actions.add_parser(action, help=text)
        if action != "list":
            a.add_argument("ids", nargs="+", metavar="RUN_ID")
        a.add_argument("--runs", default=os.environ.get("RNN_DEMO_RUNS", "runs"),
                       help="the runs folder (default: $RNN_DEMO_RUNS or ./runs)")
        a.set_defaults(func=func)
