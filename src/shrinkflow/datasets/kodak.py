"""``kodak``: the Kodak Lossless True Color Image Suite, 24 unlabelled photographs for compression studies.

Each PNG is its own file-table row (r0k.us mirror, third-party sha256 and sizes). The loader stacks them as
24×512×768×3 uint8, turning the portrait ones to landscape (recorded in the sidecar); every image is in
both splits with label 0, as there is nothing to classify.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .base import Dataset, register
from .errors import DatasetError
from .fetch import RemoteFile

KODAK_SHAPE = (512, 768, 3)  # landscape H×W×C


def _load_kodak(paths: Mapping[str, Path], split_seed: int):
    """The 24 Kodak PNGs stacked as 24×512×768×3; portrait ones rotated to landscape, all in both splits."""
    from PIL import Image

    images = np.empty((len(paths), *KODAK_SHAPE), dtype=np.uint8)
    rotated = []
    for i, (name, path) in enumerate(sorted(paths.items())):
        with Image.open(path) as im:
            if im.mode != "RGB":
                raise DatasetError(f"{name}: PNG mode {im.mode}, expected RGB")
            pixels = np.asarray(im)
        if pixels.shape == KODAK_SHAPE[1::-1] + (3,):
            pixels = np.rot90(pixels, k=1)  # 90° counter-clockwise; np.rot90(k=-1) restores the original
            rotated.append(name)
        if pixels.shape != KODAK_SHAPE:
            raise DatasetError(f"{name}: image is {pixels.shape}, expected 512×768×3 or 768×512×3")
        images[i] = pixels
    labels = np.zeros(len(images), dtype=np.int64)
    arrays = {"x_train": images, "y_train": labels, "x_test": images, "y_test": labels.copy()}
    meta = {
        "split": "no labels and no held-out set: all 24 images are both train and test, label 0",
        "image_order": sorted(paths),
        "rotated_to_landscape": rotated,
        "rotation": "portrait images turned 90 degrees counter-clockwise (numpy.rot90 k=1)",
    }
    return arrays, meta


# r0k.us publishes no checksums. These sha256/sizes were computed from the r0k.us PNGs by third parties and
# agree between independent listings (M0574F4/noema-lab src/noema_lab/ops/source/kodak.py with sizes, and a
# JPEG 2000 benchmark's sha256sum list); a mismatch therefore means the mirror changed, not a typo here.
_KODAK_TABLE = [
    ("a56e27cbf5f843c048b6af1d6e090760e9c92fadba88b7dee0205918a37523bd", 736501),
    ("4f4b74a79237e311d72cad958237b5f7088d8bce1c82305ebefe1a70e3022dfd", 617995),
    ("e25ca1ff2f0c0cb5fdfd5f9b0a0bb21ac4c3de3c84a67f35b09a85d3306249db", 502888),
    ("e3b946107c5d3441c022f678d0c3caf1e224d81b1604ba840a4f88e562de61aa", 637432),
    ("10349e963c5c813d327852f82c1795fa4148d69fedffc4c589bee458e3ac3d53", 785610),
    ("363510303b715d4cbc384e1ce227e466b613a09e1b71ae985882bf8e7fbd9b18", 618959),
    ("b77d3f006f42414bb242222e0482e750c0fb9e5ee8d4bed2f6f11c5605fe54a4", 566322),
    ("ba23983c76b4832ee0e8af0592664756841a16779acd69f792e268fb6d13d6e7", 788470),
    ("6a4361c2fc194feb4edaa9f9a4a0620fb9943e460ac7fdf037fb0f6dd6607a7d", 582899),
    ("9dfb70f5867c29ff9ed6313683f19b3d867849e40fbc0c4c54a4a89df341cf23", 593463),
    ("7936814b58b5387fce2e4e2488b4ec830dadd95fa9520f358ddb30990b50f2b6", 621023),
    ("d78c37c2f04f23761ed2367dd77e2db584ddd4c3950833fecf89f199a8126980", 531024),
    ("bc34a3ce58dea09dce1704c997171602de90cb34d0c8503a988b77f473d39b08", 822712),
    ("55a94550ff18f3246c4074fd32b77b0c74447c26b6ad274d564d999c0450ba6e", 692201),
    ("7538cbb80cb9103606c48b806eae57d56c885c7f90b9b3be70a41160f9cbb683", 612582),
    ("a89c7268ccd4718ba424a99fc4643c572cf692ca6eae887185ceb4e9f11d2e54", 534247),
    ("37afcc89fbdcb76d9518e04b2fc011027e2f4cd14b3b2f83cefd721641a47c5b", 602078),
    ("1a9258c365988961d87a0598725b609139c303ad48a5aad6c503c3b1a87849aa", 780947),
    ("b7450b264b1b0a411390d8931b112c27905a992520fc90569dc4b920aa32bbdc", 671476),
    ("3b46c71e3b92a563820ba32936be8330c586c41f938efd94be938386aae4328a", 492462),
    ("ac958597c82073f6bb65129c68f72b651db5b9efd82e11547d07350214bc268b", 637051),
    ("1cee58eb1f2d9c7ebb254d208a03c783ce6cf2c4d8c2cf45e235dd23b4ce1b29", 701970),
    ("e3111a2fd4da24af15d6459ef9eacfe54106b38e27b4a21821b75c3f5d2d5baf", 557596),
    ("1071c68372cc5a01435c2c225a5cf7d4bb803846ec08bb6b3d6721b156d7cb96", 706397),
]
KODAK_FILES = tuple(
    RemoteFile(
        f"kodim{i:02d}.png",
        (f"https://r0k.us/graphics/kodak/kodak/kodim{i:02d}.png",),
        f"sha256:{digest}",
        size,
        "third-party sha256 of the r0k.us files (M0574F4/noema-lab kodak.py; no digest published by r0k.us)",
    )
    for i, (digest, size) in enumerate(_KODAK_TABLE, start=1)
)

register(
    Dataset(
        name="kodak",
        description="Kodak Lossless True Color Image Suite: 24 photographs, 768×512 (portraits rotated); "
        "unlabelled, for compression studies",
        image_shape=KODAK_SHAPE,
        class_names=["image"],
        loader=_load_kodak,
        files=KODAK_FILES,
    )
)
