import sys

from spikard.cli import main

sys.exit(main())
