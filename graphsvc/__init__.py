"""graphsvc: a graph-native recommendation service for DJs."""

__version__ = "0.1.0"
