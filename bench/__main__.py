"""`python -m bench [RUNS]`: serve start-up benchmark; `python -m bench wiki [...]`: wiki load benchmark."""

from __future__ import annotations

import sys

from bench import serve_startup, wiki_load

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "wiki":
        wiki_load.main(sys.argv[2:])
    else:
        runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
        serve_startup.main(runs)
