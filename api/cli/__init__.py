"""The ``zonecut`` command, one module per command: :mod:`api.cli.main` parses the
arguments and hands them to the command's module.

``serve``, ``migrate``, ``openapi``, ``users`` and ``keys`` run the server's own code and
import it inside their functions, so that ``zonecut extract`` starts without it.
"""
