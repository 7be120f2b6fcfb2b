"""The run store a class shares: queued, owned, quota-bound training runs, a folder each."""
