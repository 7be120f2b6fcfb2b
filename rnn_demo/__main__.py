"""`python -m rnn_demo COMMAND`: the command line (see rnn_demo.cli)."""

import sys

from .cli import main

sys.exit(main())
