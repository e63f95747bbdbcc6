"""The medallion ETL: bronze ingestion, silver enrichment, gold projection."""

IMPORTER_VERSION = "0.1.0"
