import sys

from nanotui.cli import main

sys.exit(main())
