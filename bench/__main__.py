from __future__ import annotations

import sys

from bench import serve_startup

if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    serve_startup.main(runs)
