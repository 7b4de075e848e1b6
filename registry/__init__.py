"""The schema registry core: pure values and functions, standard library only.

Value to type inference (`infer`), the type lattice (`lattice`), column paths
(`paths`), the per-column history fold (`column`), schemas and their change
events (`schema`, `key`), the batch fold (`batch`), as-of reads and diffs
(`history`) and JSON Schema export (`jsonschema`).
"""

from registry.batch import fold_event, fold_events
from registry.column import (
    Cause,
    ColumnState,
    TypeChange,
    from_dict as column_from_dict,
    observe_column,
    set_classification,
    set_policy,
    to_dict as column_to_dict,
)
from registry.errors import (
    InconsistentStateError,
    InvalidLimitsError,
    InvalidPathError,
    InvalidSchemaKeyError,
    RegistryError,
    StateDecodeError,
    UnsupportedValueError,
)
from registry.history import AsOfColumn, ColumnDiff, columns_as_of, diff
from registry.infer import Finding, Inference, Limits, infer_columns, infer_type
from registry.jsonschema import to_json_schema
from registry.key import SEGMENT_TYPES, SchemaKey, prefix_for_source
from registry.lattice import is_lossless, join, join_all
from registry.pii import (
    NOT_PERSONAL,
    PiiClassification,
    PiiSuggestion,
    classify,
    classify_path,
    classify_value,
    redact,
    string_values,
)
from registry.paths import ARRAY_STEP, child_path, escape_key, join_path, split_path
from registry.schema import FoldResult, SchemaChange, SchemaState, change_id
from registry.types import ChangeKind, ColumnType, Policy

__all__ = [
    "NOT_PERSONAL",
    "PiiClassification",
    "PiiSuggestion",
    "classify",
    "classify_path",
    "classify_value",
    "redact",
    "set_classification",
    "string_values",
    "ARRAY_STEP",
    "SEGMENT_TYPES",
    "AsOfColumn",
    "Cause",
    "ChangeKind",
    "ColumnDiff",
    "ColumnState",
    "ColumnType",
    "Finding",
    "FoldResult",
    "InconsistentStateError",
    "Inference",
    "InvalidLimitsError",
    "InvalidPathError",
    "InvalidSchemaKeyError",
    "Limits",
    "Policy",
    "RegistryError",
    "SchemaChange",
    "SchemaKey",
    "SchemaState",
    "StateDecodeError",
    "TypeChange",
    "UnsupportedValueError",
    "change_id",
    "column_from_dict",
    "column_to_dict",
    "columns_as_of",
    "diff",
    "child_path",
    "escape_key",
    "fold_event",
    "fold_events",
    "infer_columns",
    "infer_type",
    "is_lossless",
    "join",
    "join_all",
    "join_path",
    "observe_column",
    "prefix_for_source",
    "set_policy",
    "split_path",
    "to_json_schema",
]
