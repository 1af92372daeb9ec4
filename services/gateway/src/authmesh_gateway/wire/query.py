"""Query strings as better-call hands them to zod (`router.ts`): every value a string, and a
key given more than once an array of its values, in order."""

from collections.abc import Iterable

from authmesh_gateway.wire.body import JsonValue


def query_object(items: Iterable[tuple[str, str]]) -> dict[str, JsonValue]:
    query: dict[str, JsonValue] = {}
    for key, value in items:
        known = query.get(key)
        if known is None:
            query[key] = value
        elif isinstance(known, list):
            known.append(value)
        else:
            query[key] = [known, value]
    return query
