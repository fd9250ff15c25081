"""Zone suggestions: a reference page's printed boxes, table cells, checkboxes and rules
to write on, suggested as zones, and the printed lines that drawing snaps to.

The entry point is ``page`` (``suggest``); its parts:

- ``masks``: the working copy of the page, its ink and its horizontal and vertical lines
- ``frames``: the insides of printed frames (boxes, cells) and small squares (checkboxes)
- ``rules``: rules to write on, and the room above them
- ``merge``: duplicates and double frames dropped, kinds given
- ``lines``: the printed lines for snapping
- ``results``: what is answered, and its cached form
"""
