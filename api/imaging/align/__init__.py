"""Alignment: find a model's reference picture inside a picture, and cut zones through it.

The entry point is ``pipeline`` (``align_picture``, ``cut_zone``); ``reference`` computes
once what a reference picture offers. Their parts:

- ``features``: SIFT keypoints and their matches, for rough candidates
- ``quads``: rough candidates from a form's boxes and the page's outline
- ``refine``: tools to warp, normalise and track in the reference's working frame
- ``verify``: a candidate refined in rounds, then accepted or refused
- ``mesh``: the smooth mesh that follows a page that is not flat
- ``edges``: straight print as evidence for the mesh
- ``bent``: whether a page bends, and each zone judged on its own when it does
- ``zones``: the print along a zone's outline, sought in the aligned picture
- ``homography``: point mapping, frame changes and the sanity check of a homography
- ``warp``: a zone cut through a homography or a mesh, as an upright crop
"""
