"""Tracking plans, pure: what a team declares it sends, and how each event differs.

A plan is a list of rules in Segment's tracking-plan export shape (``rules``); each
rule's JSON Schema is compiled once (``compiled``) and checks the sections of an event
(``properties``, ``traits``, ``context``), giving violations named by the failing
keyword (``violations``). ``generate`` proposes rules from the inferred schemas, ``diff`` compares them.

No I/O: a schema that refers to another document by URL is refused, not fetched.
"""

from registry.plans.compiled import CompiledPlan, compile_plan
from registry.plans.diff import PlanDiffKind, PlanDifference, plan_diff
from registry.plans.generate import generate_rules
from registry.plans.rules import RULE_TYPES, InvalidPlanError, Rule, parse_rules
from registry.plans.violations import Action, ConnectSettings, Violation, ViolationType

__all__ = [
    "RULE_TYPES",
    "Action",
    "CompiledPlan",
    "ConnectSettings",
    "InvalidPlanError",
    "PlanDiffKind",
    "PlanDifference",
    "Rule",
    "Violation",
    "ViolationType",
    "compile_plan",
    "generate_rules",
    "parse_rules",
    "plan_diff",
]
