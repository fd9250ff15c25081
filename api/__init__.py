"""Zonecut: the server, its command line and the client behind ``zonecut extract``."""
