"""Exception types of graphsvc. Driver and library errors are re-raised from these with ``from e``."""


class GraphsvcError(Exception):
    """Base of every error graphsvc raises on purpose."""


class ConfigError(GraphsvcError):
    """A setting is missing or invalid."""


class DatabaseError(GraphsvcError):
    """Postgres could not be reached, started or migrated."""


class InputError(GraphsvcError):
    """An input file cannot be read at all (the whole command fails with this message)."""


class InvalidValue(GraphsvcError, ValueError):
    """A single value (key, BPM, energy, ...) is invalid. The message is the reject reason."""


class GraphUnavailable(GraphsvcError):
    """The graph backend cannot answer right now."""


class NotFound(GraphsvcError):
    """An id that does not exist."""


class Busy(GraphsvcError):
    """Another process is doing work that must not run twice at once (a pipeline run on the same database)."""
