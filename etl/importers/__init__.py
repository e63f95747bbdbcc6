"""Bronze importers: one function per source format, each loading one file in one transaction.

See :mod:`etl.bronze` for the shared loading machinery and what a result / a reject means.
"""

from etl.bronze import IngestFailed, IngestResult
from etl.importers.features import ingest_features
from etl.importers.mixesdb import ingest_mixesdb
from etl.importers.mixxx import ingest_mixxx
from etl.importers.rekordbox import ingest_rekordbox
from etl.importers.tracklists1001 import ingest_1001tracklists
from etl.importers.traktor import ingest_traktor
from etl.importers.virtualdj import ingest_virtualdj

__all__ = [
    "IngestFailed",
    "IngestResult",
    "ingest_1001tracklists",
    "ingest_features",
    "ingest_mixesdb",
    "ingest_mixxx",
    "ingest_rekordbox",
    "ingest_traktor",
    "ingest_virtualdj",
]
