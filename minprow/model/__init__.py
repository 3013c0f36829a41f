"""minprow's domain model: the ProwJob custom resource and the types it is made of."""

from minprow.model.decoration import (
    DecorationConfig,
    GCSConfiguration,
    UtilityImages,
)
from minprow.model.duration import GoDuration, format_duration, parse_duration
from minprow.model.prowjob import (
    ObjectMeta,
    ProwJob,
    ProwJobAgent,
    ProwJobSpec,
    ProwJobState,
    ProwJobStatus,
    ProwJobType,
    Pull,
    Refs,
    ReporterConfig,
    SlackReporterConfig,
)

__all__ = [
    "DecorationConfig",
    "GCSConfiguration",
    "GoDuration",
    "ObjectMeta",
    "ProwJob",
    "ProwJobAgent",
    "ProwJobSpec",
    "ProwJobState",
    "ProwJobStatus",
    "ProwJobType",
    "Pull",
    "Refs",
    "ReporterConfig",
    "SlackReporterConfig",
    "UtilityImages",
    "format_duration",
    "parse_duration",
]
