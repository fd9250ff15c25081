"""Cutting pictures: place the zones, cut, file and record; replays and requests of several."""
