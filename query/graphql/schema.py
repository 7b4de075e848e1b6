"""The root types, composed from the per-feature types, and the schema served."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from query.graphql.changes import ChangesQuery, Subscription as ChangesSubscription
from query.graphql.errors import is_unexpected
from query.graphql.mutations import Mutation as SchemaMutation
from query.graphql.profile_queries import ProfileQuery
from query.graphql.plans import PlanMutation, PlanQuery
from query.graphql.regulations import RegulationMutation, RegulationQuery
from query.graphql.registry_queries import RegistryQuery
from query.graphql.violations import ViolationMutation, ViolationQuery, ViolationSubscription

logger = logging.getLogger(__name__)

Query = merge_types("Query", (RegistryQuery, ChangesQuery, ProfileQuery, RegulationQuery, PlanQuery, ViolationQuery))
Mutation = merge_types("Mutation", (SchemaMutation, RegulationMutation, PlanMutation, ViolationMutation))
Subscription = merge_types("Subscription", (ChangesSubscription, ViolationSubscription))


def _payload(payload: object, _info: object, /, **_arguments: object) -> object:
    return payload


class _Schema(strawberry.Schema):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Strawberry resolves each subscription payload with `lambda event, *_, **__: event`,
        # and GraphQL passes the field's arguments by name, so an argument named `event`
        # (Subscription.schemaChanges has one) collides with the payload. Positional-only
        # does not collide.
        subscription = self._schema.subscription_type
        for field in () if subscription is None else subscription.fields.values():
            field.resolve = _payload

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected failures are answers, not incidents: log only the unexpected ones.
        for error in errors:
            if is_unexpected(error):
                logger.error("unexpected error in GraphQL resolver", exc_info=error.original_error)


@dataclass(frozen=True)
class Limits:
    """What one GraphQL operation may ask for; past a limit it is refused with an error."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    introspection: bool = True


# Distinct query texts whose parse and validation a node keeps (an LRU: clients send
# the same few texts with different variables).
CACHED_QUERIES = 256


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    """The schema a node serves: unexpected errors masked, and ``limits`` enforced.

    Parsing and validating a query cost more than executing it (validation alone was
    ~40% of a read), so both are cached by query text (Strawberry's ``ParserCache``
    and ``ValidationCache``). The validation cache is keyed by the rules too, so the
    limit rules are made once here rather than by a limiter extension per operation.
    """
    # Factories: an extension keeps per-operation state, so each operation gets its own.
    extensions: list[Any] = [
        partial(MaskErrors, should_mask_error=is_unexpected),
        partial(ParserCache, maxsize=CACHED_QUERIES),
        partial(ValidationCache, maxsize=CACHED_QUERIES),
    ]
    if limits is not None:
        rules: list[type[ASTValidationRule]] = [
            depth_rule(limits.max_depth, None),
            aliases_rule(limits.max_aliases),
        ]
        extensions += [
            partial(AddValidationRules, rules),
            partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        ]
        if not limits.introspection:
            extensions.append(DisableIntrospection)
    return _Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)


schema = build_schema()
