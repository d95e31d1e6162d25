"""The knowledge base: who stood where on a government program, and when, each fact cited.

Every fact (a position, a program fact, an other name, an official's or organization's
identity) is backed by one or more `Citation`s: a verbatim quote at known offsets in a
`Source`'s text. The database refuses rows that break the rules from any path. One module per
concept: dates, sources, actors, programs, positions, citations.
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
from kb.models.dates import PRECISION_MESSAGE, DatePrecision
from kb.models.positions import DateBasis, NoId, Position, Stance
from kb.models.programs import Program, ProgramFact, ProgramFactKind, ValueQualifier
from kb.models.sources import Source, SourceKind
from kb.models.version import KnowledgeBaseVersion

__all__ = [
    "CITED_FIELDS",
    "NAMED_FIELDS",
    "PRECISION_MESSAGE",
    "SLUG_PATTERN",
    "Citation",
    "DateBasis",
    "DatePrecision",
    "Jurisdiction",
    "JurisdictionKind",
    "KnowledgeBaseHistory",
    "KnowledgeBaseVersion",
    "Official",
    "Organization",
    "OrganizationKind",
    "OtherName",
    "NoId",
    "Position",
    "Program",
    "ProgramFact",
    "ProgramFactKind",
    "Record",
    "Searchable",
    "SlugManager",
    "SlugNaturalKey",
    "Source",
    "SourceKind",
    "Stance",
    "ValueQualifier",
]
