"""What one GraphQL request may ask for, checked before anything runs.

- depth: the longest chain of nested fields (``items.edges.node.owner.email`` is 5),
  at most ``GRAPHQL_MAX_DEPTH``; introspection fields are not counted.
- complexity: an upper bound on the fields a query resolves, at most
  ``GRAPHQL_MAX_COMPLEXITY``: each field counts 1, and what a connection's ``edges``
  select counts once per row of the largest page it may return (``first``/``last``, the
  default page size when neither is given, the maximum when they are variables).
- aliases: at most ``GRAPHQL_MAX_ALIASES`` in an operation, fragments included.
- introspection (``__schema``, ``__type``): refused unless ``GRAPHQL_INTROSPECTION``
  (on with ``DEBUG``, off in production).

Each is a graphql-core validation rule, so a refused query fails with every other
validation error and nothing is executed. Fragments are measured once each (per page
size), so a document of fragments spreading fragments costs linear time to measure.
"""

from dataclasses import dataclass

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import AddValidationRules

from graphql_api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

INTROSPECTION_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


@dataclass(frozen=True)
class Measure:
    depth: int = 0
    cost: int = 0
    aliases: int = 0

    def __add__(self, other: "Measure") -> "Measure":
        return Measure(
            max(self.depth, other.depth), self.cost + other.cost, self.aliases + other.aliases
        )


class QueryLimitsRule(ValidationRule):
    """Refuses an operation deeper, costlier or with more aliases than the settings allow."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
        self._fragments: dict[tuple[str, int | None], Measure] = {}
        self._measuring: set[str] = set()
        root = self.context.schema.get_root_type(node.operation)
        if root is None:
            return  # graphql-core reports the missing operation type
        measure = self._selections(node.selection_set, root, page=None)
        for exceeded, code, message in (
            (measure.depth > settings.GRAPHQL_MAX_DEPTH, "query_too_deep",
             f"The query is {measure.depth} fields deep; at most "
             f"{settings.GRAPHQL_MAX_DEPTH} are allowed (GRAPHQL_MAX_DEPTH)."),
            (measure.cost > settings.GRAPHQL_MAX_COMPLEXITY, "query_too_complex",
             f"The query may resolve {measure.cost} fields; at most "
             f"{settings.GRAPHQL_MAX_COMPLEXITY} are allowed (GRAPHQL_MAX_COMPLEXITY)."),
            (measure.aliases > settings.GRAPHQL_MAX_ALIASES, "too_many_aliases",
             f"The query has {measure.aliases} aliases; at most "
             f"{settings.GRAPHQL_MAX_ALIASES} are allowed (GRAPHQL_MAX_ALIASES)."),
        ):  # fmt: skip
            if exceeded:
                self.report_error(GraphQLError(message, node, extensions={"code": code}))

    def _selections(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, page: int | None
    ) -> Measure:
        total = Measure()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                narrowed = self._type(condition.name.value) if condition else parent
                total += self._selections(selection.selection_set, narrowed or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, page)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> Measure:
        name = node.name.value
        aliases = 1 if node.alias else 0
        definition = INTROSPECTION_FIELDS.get(name)
        if definition is None and isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        if definition is None:
            # __typename, or a field the schema lacks (another rule reports that one).
            return Measure(depth=1, cost=1, aliases=aliases)
        field_type = get_named_type(definition.type)
        inner_page = _page_size(node) if _is_connection(field_type) else None
        children = self._selections(node.selection_set, field_type, inner_page)
        rows = page if name == "edges" and page is not None else 1
        depth = 0 if name in INTROSPECTION_FIELDS else 1 + children.depth
        return Measure(depth, 1 + rows * children.cost, aliases + children.aliases)

    def _fragment(self, name: str, page: int | None) -> Measure:
        key = (name, page)
        if key in self._fragments:
            return self._fragments[key]
        fragment = self.context.get_fragment(name)
        if fragment is None or name in self._measuring:
            return Measure()  # unknown or cyclic: other rules report those
        self._measuring.add(name)
        condition = self._type(fragment.type_condition.name.value)
        measure = (
            self._selections(fragment.selection_set, condition, page) if condition else Measure()
        )
        self._measuring.discard(name)
        self._fragments[key] = measure
        return measure

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.context.schema.get_type(name)


class IntrospectionDisabledRule(ValidationRule):
    def enter_field(self, node: FieldNode, *_args: object) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.report_error(
                GraphQLError(
                    "Introspection is disabled here (GRAPHQL_INTROSPECTION); the schema is "
                    "published as schema.graphql.",
                    node,
                    extensions={"code": "introspection_disabled"},
                )
            )


class QueryLimits(AddValidationRules):
    """The rules above, as the schema's extension; built per request, from the settings."""

    def __init__(self) -> None:
        rules: list[type[ValidationRule]] = [QueryLimitsRule]
        if not settings.GRAPHQL_INTROSPECTION:
            rules.append(IntrospectionDisabledRule)
        super().__init__(list(rules))


def _is_connection(field_type: GraphQLNamedType) -> bool:
    return isinstance(field_type, GraphQLObjectType) and {"edges", "pageInfo"} <= set(
        field_type.fields
    )


def _page_size(node: FieldNode) -> int:
    """The most rows the connection field may return, from its ``first``/``last``."""
    sizes = []
    for argument in node.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        value = argument.value
        # A variable (or a value of the wrong type or size, which another rule reports)
        # could be anything up to the cap.
        size = MAX_PAGE_SIZE
        if isinstance(value, IntValueNode) and len(value.value) <= 10:
            size = int(value.value)
        sizes.append(max(0, min(size, MAX_PAGE_SIZE)))
    return min(sizes) if sizes else DEFAULT_PAGE_SIZE
