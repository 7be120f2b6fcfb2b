"""A device's waiting runs, taken round-robin by owner, so no one waits behind another's many runs.

Each run gets a round when it is queued: the one after its owner's previous run, but never one
already served. Runs leave in order of (round, arrival): every owner's first waiting run, then
every owner's second, and so on. An owner who arrives late (or comes back) joins the round now
being served, behind those already in it, not the back of the line.

    q = FairQueue()
    q.push("a1", "A"); q.push("a2", "A"); q.push("a3", "A"); q.push("b1", "B")
    list(q)      # ["a1", "b1", "a2", "a3"]
"""

import bisect
import itertools


class FairQueue:
    """Run ids waiting for one device, ordered round-robin by owner (None is an owner too)."""

    def __init__(self):
        self._entries: list[tuple[int, int, str, object]] = []    # (round, arrival, run id, owner)
        self._serving = 0                                         # round of the last run taken
        self._last: dict = {}                                     # owner -> round of its last push
        self._arrivals = itertools.count()

    def push(self, run_id: str, owner) -> None:
        turn = max(self._serving, self._last.get(owner, 0) + 1)
        self._last[owner] = turn
        bisect.insort(self._entries, (turn, next(self._arrivals), run_id, owner))

    def pop(self) -> str | None:
        """The next run to start, or None if none waits."""
        if not self._entries:
            return None
        turn, _, run_id, _ = self._entries.pop(0)
        self._serving = turn
        return run_id

    def remove(self, run_id: str) -> bool:
        """Take a waiting run out (it was stopped); False if it was not waiting here."""
        for i, entry in enumerate(self._entries):
            if entry[2] == run_id:
                del self._entries[i]
                return True
        return False

    def position(self, run_id: str) -> int | None:
        """1 for the next run to start, 2 after it ...; None if not waiting here."""
        return next((i + 1 for i, entry in enumerate(self._entries) if entry[2] == run_id), None)

    def __iter__(self):
        return iter([entry[2] for entry in self._entries])

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, run_id) -> bool:
        return any(entry[2] == run_id for entry in self._entries)
