"""``python -m api.cli``: the ``zonecut`` command without its console script."""

from api.cli.main import main

main()
