"""Pictures and models for API tests, made on the spot."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

# Colours of the four quadrants of the standard test picture, so crops can be checked.
QUADRANTS = {
    "top_left": (220, 30, 30),
    "top_right": (30, 200, 40),
    "bottom_left": (40, 60, 230),
    "bottom_right": (240, 200, 20),
}


def quadrant_picture(width: int = 400, height: int = 300) -> Image.Image:
    """A picture of four coloured quadrants with a unique gradient, so every pixel is known."""
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    assert pixels is not None
    for y in range(height):
        for x in range(width):
            right, bottom = x >= width // 2, y >= height // 2
            base = QUADRANTS[("bottom" if bottom else "top") + "_" + ("right" if right else "left")]
            pixels[x, y] = (base[0], (base[1] + x) % 256, (base[2] + y) % 256)
    return image


def encode(image: Image.Image, fmt: str = "PNG", **params: Any) -> bytes:
    """The picture as a file in ``fmt``."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def picture_bytes(width: int = 400, height: int = 300, fmt: str = "PNG") -> bytes:
    return encode(quadrant_picture(width, height), fmt)


def create_model(
    client: httpx.Client,
    name: str = "Form",
    image: bytes | None = None,
    filename: str = "reference.png",
    **fields: str,
) -> dict[str, Any]:
    """POST a model and return it (asserting it was created)."""
    response = client.post(
        "/models",
        data={"name": name, **fields},
        files={"image": (filename, image if image is not None else picture_bytes(), "image/png")},
    )
    assert response.status_code == 201, response.text
    model: dict[str, Any] = response.json()
    return model


def zone(name: str, folder: str, x: int, y: int, width: int, height: int) -> dict[str, Any]:
    return {"name": name, "folder": folder, "x": x, "y": y, "width": width, "height": height}


QUADRANT_ZONES = [
    zone("top left", "corners/top", 0, 0, 200, 150),
    zone("bottom right", "corners/bottom", 200, 150, 200, 150),
    zone("middle", "middle", 150, 100, 100, 100),
]


def model_with_zones(
    client: httpx.Client, zones: list[dict[str, Any]] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """A model of the quadrant picture with zones set."""
    model = create_model(client, **kwargs)
    response = client.put(
        f"/models/{model['id']}/zones",
        json={"zones": zones if zones is not None else QUADRANT_ZONES},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def extract(
    client: httpx.Client,
    model: str,
    image: bytes,
    filename: str = "scan.png",
    headers: dict[str, str] | None = None,
    **fields: str,
) -> httpx.Response:
    return client.post(
        "/extract",
        data={"model": model, **fields},
        files={"image": (filename, image, "application/octet-stream")},
        headers=headers or {},
    )


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """The answer is a problem+json of ``status`` whose detail names every word."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"] and problem["type"] and problem["detail"]
    for word in words:
        assert word.lower() in problem["detail"].lower(), problem
    return problem
