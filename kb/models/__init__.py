"""The knowledge base: who stood where on a government program, and when, each fact cited.

Every fact (a position, its voices and reasons, a program fact, an other name, an official's or
organization's identity) is backed by one or more `Citation`s: a verbatim quote at known offsets
in a `Source`'s text, outside the parts that are not the publisher's. The database refuses rows
that break the rules from any path. One module per concept: dates, sources, actors, programs,
positions, citations; docs/data-model.md describes them.
"""

from kb.models.actors import (
    NAMED_FIELDS,
    Jurisdiction,
    JurisdictionKind,
    Official,
    Organization,
    OrganizationKind,
    OtherName,
)
from kb.models.base import SLUG_PATTERN, KnowledgeBaseHistory, Record, Searchable, SlugManager, SlugNaturalKey
from kb.models.citations import CITED_FIELDS, Citation
from kb.models.dates import INTERVAL_MESSAGE, DatePrecision
from kb.models.positions import (
    SPEAKER_FIELDS,
    VOICED_FIELDS,
    DateBasis,
    Event,
    Holder,
    InForce,
    Position,
    Reason,
    ReasonTopic,
    Stance,
    Voice,
)
from kb.models.programs import Program, ProgramFact, ProgramFactKind, ValueQualifier
from kb.models.provenance import LoadedRecord
from kb.models.sources import Derivation, Source, SourceKind, SourcePart, SourcePartKind
from kb.models.version import KnowledgeBaseVersion

__all__ = [
    "CITED_FIELDS",
    "INTERVAL_MESSAGE",
    "NAMED_FIELDS",
    "SLUG_PATTERN",
    "SPEAKER_FIELDS",
    "VOICED_FIELDS",
    "Citation",
    "DateBasis",
    "DatePrecision",
    "Derivation",
    "Event",
    "Holder",
    "InForce",
    "Jurisdiction",
    "JurisdictionKind",
    "KnowledgeBaseHistory",
    "KnowledgeBaseVersion",
    "LoadedRecord",
    "Official",
    "Organization",
    "OrganizationKind",
    "OtherName",
    "Position",
    "Program",
    "ProgramFact",
    "ProgramFactKind",
    "Reason",
    "ReasonTopic",
    "Record",
    "Searchable",
    "SlugManager",
    "SlugNaturalKey",
    "Source",
    "SourceKind",
    "SourcePart",
    "SourcePartKind",
    "Stance",
    "ValueQualifier",
    "Voice",
]
