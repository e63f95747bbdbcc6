"""Bronze -> silver: the builder (:mod:`etl.silver.builder`, the orchestrator and the pieces every
source shares) and one module per source (:mod:`etl.silver.sources`)."""

from etl.silver.builder import _CUE_ARTIST, SilverBuilder, SilverStats, build_silver
from etl.silver.rows import _TABLES, _WRITE_ORDER, Rows
from etl.silver.sources import SOURCES, STAGES

__all__ = ["SOURCES", "STAGES", "Rows", "SilverBuilder", "SilverStats", "build_silver", "_CUE_ARTIST", "_TABLES",
           "_WRITE_ORDER"]
