"""Offline default images: scikit-image's bundled colour photographs, stored losslessly, made small.

scikit-image ships a few photographs inside the package (no download). Only files stored losslessly are
used: a photograph stored as JPEG carries JPEG's artefacts, which would flatter JPEG in a comparison, so
those are skipped (the check reads the file's actual format, not its name). Each image is centre-cropped
to the target aspect ratio and, with ``resize="downscale"``, resampled with Pillow's Lanczos filter to the
target size (``resize="crop"``: a centre crop at full resolution, no resampling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from PIL import Image

from .spec import RDLevelError

#: colour photographs among scikit-image's data files (file stem → file name); rocket, retina and
#: hubble_deep_field are stored as JPEG and are skipped by the loader's format check
SKIMAGE_PHOTOS: dict[str, str] = {
    "astronaut": "astronaut.png",
    "chelsea": "chelsea.png",
    "coffee": "coffee.png",
    "motorcycle_left": "motorcycle_left.png",
    "rocket": "rocket.jpg",
    "retina": "retina.jpg",
    "hubble_deep_field": "hubble_deep_field.jpg",
}
LOSSLESS_FORMATS = ("PNG", "TIFF", "BMP")


@dataclass
class PhotoSet:
    """uint8 N×H×W×3 images, their names, and the photographs skipped with the reason."""

    images: np.ndarray
    names: list[str]
    skipped: dict[str, str] = field(default_factory=dict)


def skimage_data_dir():
    return resources.files("skimage") / "data"


def _fit(image: Image.Image, height: int, width: int, resize: str) -> Image.Image:
    """Centre crop to the target aspect ratio, then (``downscale``) Lanczos-resample to height × width."""
    w, h = image.size
    if resize == "crop":
        if h < height or w < width:
            raise RDLevelError(f"cannot crop {height}×{width} from a {h}×{w} image")
        left, top = (w - width) // 2, (h - height) // 2
        return image.crop((left, top, left + width, top + height))
    scale = min(w / width, h / height)
    cw, ch = round(width * scale), round(height * scale)
    left, top = (w - cw) // 2, (h - ch) // 2
    return image.crop((left, top, left + cw, top + ch)).resize((width, height), Image.Resampling.LANCZOS)


def load_skimage_photos(
    size: int | tuple[int, int] = 64,
    names: Sequence[str] | None = None,
    resize: str = "downscale",
    files: dict[str, str] | None = None,
) -> PhotoSet:
    """The losslessly stored colour photographs of scikit-image as uint8 N×H×W×3 (``size``: H = W, or
    (H, W)); ``names`` picks some (default: all of :data:`SKIMAGE_PHOTOS`), JPEG-stored ones are skipped."""
    height, width = (size, size) if isinstance(size, int) else size
    if resize not in ("downscale", "crop"):
        raise RDLevelError(f"resize {resize!r} is not one of ['downscale', 'crop']")
    if not (8 <= height <= 4096 and 8 <= width <= 4096):
        raise RDLevelError(f"image size {height}×{width} is outside 8..4096 per side")
    table = dict(SKIMAGE_PHOTOS if files is None else files)
    chosen = list(table) if names is None else list(names)
    unknown = [n for n in chosen if n not in table]
    if unknown:
        raise RDLevelError(f"unknown scikit-image photograph(s) {unknown}; allowed: {list(table)}")
    folder = skimage_data_dir()
    images, kept, skipped = [], [], {}
    for name in chosen:
        with resources.as_file(folder / table[name]) as path, Image.open(path) as im:
            if im.format not in LOSSLESS_FORMATS:
                skipped[name] = f"stored as {im.format} (lossy)"
                continue
            if im.mode != "RGB":
                skipped[name] = f"mode {im.mode}, not RGB"
                continue
            images.append(np.asarray(_fit(im, height, width, resize), dtype=np.uint8))
            kept.append(name)
    if not images:
        raise RDLevelError(f"none of {chosen} is a losslessly stored RGB photograph ({skipped})")
    return PhotoSet(np.stack(images), kept, skipped)
