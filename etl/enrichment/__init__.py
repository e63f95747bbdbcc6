"""Waterfall enrichment of silver tracks: configuration snapshots, providers, the waterfall, replays.

Public entry points: :func:`etl.enrichment.waterfall.enrich`, :func:`etl.enrichment.replay.enqueue_replay`,
:func:`etl.enrichment.replay.process_replays`, and the config helpers in :mod:`etl.enrichment.config`.
"""
