"""Samples of a model: pictures kept with it, cut again before its zones change."""
