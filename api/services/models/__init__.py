"""Models: the templates (reference pictures and zones) and their rules."""
