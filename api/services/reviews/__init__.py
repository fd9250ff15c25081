"""The review queue: refused pictures a person places by hand."""
