"""The segment features every new segment carries (see ``_features.py``).

A list apart from the protocol, so that a feature's module may import the
protocol while this list imports the features.
"""

from __future__ import annotations

from newsindex._facet_names import FacetNames
from newsindex._features import SegmentFeature
from newsindex._signatures import Signatures
from newsindex._vocabulary import SurfaceWords

#: In the order they are applied; a feature is added by importing it here.
#: (A feature's module must not import the segment layer, which imports
#: this list.)
FEATURES: list[type[SegmentFeature]] = [FacetNames, SurfaceWords, Signatures]
