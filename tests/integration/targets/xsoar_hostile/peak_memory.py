# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Usage: peak_memory.py OUT_FILE COMMAND...: run COMMAND, then write the peak resident memory (MB) of the
largest process it started (the module's, for a module that reads a huge answer) to OUT_FILE."""

import resource
import subprocess
import sys

status = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as handle:
    handle.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024))
sys.exit(status)
