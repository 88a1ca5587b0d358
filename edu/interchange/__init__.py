"""Question interchange, pure (no Flask, no database): GIFT, Moodle XML, Aiken and YAML banks.

Importers return an `ImportResult` (questions validated by `edu.content.model`, problems with
lines, a skipped count, categories) and never raise for bad input; exporters write every field
their format can carry. Each module's docstring documents its mapping decisions.
"""

from .aiken import parse_aiken, write_aiken
from .gift import parse_gift, write_gift
from .moodle_xml import parse_moodle_xml, write_moodle_xml
from .report import ImportProblem, ImportResult
from .yaml_bank import parse_yaml_bank, write_yaml_bank

__all__ = [
    "ImportProblem",
    "ImportResult",
    "parse_aiken",
    "parse_gift",
    "parse_moodle_xml",
    "parse_yaml_bank",
    "write_aiken",
    "write_gift",
    "write_moodle_xml",
    "write_yaml_bank",
]
