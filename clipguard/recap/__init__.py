"""复盘: the review an operations team runs after every stream, from what the pipeline
already wrote (transcript, coverage, findings, loudness, chat, on-screen text).

Pure analysis: ``build_recap`` returns a frozen ``Recap``; no media is decoded and
nothing is written here (``clipguard.pipeline.recap`` reads and writes the files,
``clipguard.report.recap_page`` draws the pages).
"""

from __future__ import annotations

from clipguard.recap.build import RecapInputs, RecapOptions, build_recap
from clipguard.recap.cues import CuePack, load_cues
from clipguard.recap.model import RECAP_SCHEMA_VERSION, Recap
from clipguard.recap.products import Product, load_products

__all__ = [
    "RECAP_SCHEMA_VERSION",
    "CuePack",
    "Product",
    "Recap",
    "RecapInputs",
    "RecapOptions",
    "build_recap",
    "load_cues",
    "load_products",
]
