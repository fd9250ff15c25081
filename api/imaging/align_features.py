"""Local features for alignment: SIFT keypoints, ratio-test matching, robust homography.

SIFT rather than ORB or AKAZE: it is invariant to any rotation and to scale over several
octaves, its descriptors stay distinctive on printed text and under blur and JPEG damage,
and OpenCV ships it (AKAZE is absent from OpenCV 5's main modules; ORB lost too many
pictures with strong blur or small pages in our bench).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

REFERENCE_FEATURES = 4000
PICTURE_FEATURES = 6000
RATIO = 0.8  # Lowe's ratio test: best match clearly better than the second best
MIN_MATCHES = 8


@dataclass(frozen=True)
class Keypoints:
    """Keypoints of one image: corner-convention (x, y) in that image, and descriptors."""

    points: np.ndarray  # (N, 2) float32
    descriptors: np.ndarray  # (N, 128) uint8


@dataclass(frozen=True)
class Estimate:
    """A homography between two keypoint sets, in the coordinates of the images detected."""

    matrix: np.ndarray  # 3x3 float64, reference image -> picture image
    matches: int
    inliers: int
    source: np.ndarray  # (inliers, 2) reference points
    target: np.ndarray  # (inliers, 2) picture points


def detect(grey: np.ndarray, count: int) -> Keypoints:
    """SIFT keypoints and descriptors of an 8-bit grey image."""
    sift = cv2.SIFT_create(nfeatures=count, contrastThreshold=0.03)
    keypoints, descriptors = sift.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8))
    points = np.array([kp.pt for kp in keypoints], np.float32) + 0.5
    # OpenCV's SIFT descriptors are whole numbers in 0..255 stored as floats.
    return Keypoints(points, np.clip(descriptors, 0, 255).astype(np.uint8))


def match(
    reference: Keypoints, picture: Keypoints, ratio: float = RATIO
) -> tuple[np.ndarray, np.ndarray]:
    """Ratio-test matches: (reference points, picture points), each (M, 2)."""
    if len(reference.points) < 2 or len(picture.points) < 2:
        empty = np.zeros((0, 2), np.float32)
        return empty, empty
    matcher = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 64})
    pairs = matcher.knnMatch(
        picture.descriptors.astype(np.float32), reference.descriptors.astype(np.float32), k=2
    )
    ref_idx, pic_idx = [], []
    for pair in pairs:
        if len(pair) == 2 and pair[0].distance < ratio * pair[1].distance:
            ref_idx.append(pair[0].trainIdx)
            pic_idx.append(pair[0].queryIdx)
    # One reference point matched by several picture points: keep none but the best is
    # not worth the bookkeeping; MAGSAC sorts them out.
    return reference.points[ref_idx], picture.points[pic_idx]


def estimate(source: np.ndarray, target: np.ndarray, threshold: float) -> Estimate | None:
    """A robust homography source -> target (MAGSAC++), or None with too few matches."""
    if len(source) < MIN_MATCHES:
        return None
    matrix, mask = cv2.findHomography(
        source, target, cv2.USAC_MAGSAC, threshold, maxIters=10000, confidence=0.9999
    )
    if matrix is None or mask is None:
        return None
    keep = mask.ravel().astype(bool)
    return Estimate(matrix / matrix[2, 2], len(source), int(keep.sum()), source[keep], target[keep])
