"""Alignment: find a model's reference picture inside a picture, and cut zones through it.

The entry point is :mod:`api.imaging.align.pipeline`; the other modules are its parts.
"""
