"""Names each request by its route with record ids replaced by `{id}` and nothing else.

`GET /__sandbox/calls` keys calls as `"METHOD /path"` where the path is the request's own path
except that the path parameters holding record ids read `{id}`: the API version, the object
name and every other fixed or named segment stay as sent (docs/contracts.md section 2), e.g.
`PATCH /services/data/v62.0/sobjects/Account/{id}` or `PUT /api/v4/accounts/{id}`. Which
parameters hold ids is the server's choice (`id_params`); the route table only tells where
the parameters are.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from starlette.convertors import Convertor
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

#: Bound on remembered (method, path) lookups; paths carry record ids, so the cache must not grow
#: with the data.
_CACHE_LIMIT = 20_000
#: What a record id reads as in a key.
ID_PLACEHOLDER = "{id}"
#: Path parameters that hold record ids unless a server says otherwise.
DEFAULT_ID_PARAMS = frozenset({"id"})
_PARAM = re.compile(r"\{([^{}:]+)(?::[^{}]*)?\}")


class RouteTemplates:
    """Maps a request's method and path to its counter key using the app's routes."""

    def __init__(
        self, routes: Sequence[BaseRoute], id_params: Collection[str] = DEFAULT_ID_PARAMS
    ) -> None:
        """Remember the routes to match against.

        Args:
            routes: The app's route table (Route and Mount entries).
            id_params: Names of the path parameters that hold record ids (read `{id}`).
        """
        self._routes = routes
        self._id_params = frozenset(id_params)
        self._cache: dict[tuple[str, str], str] = {}

    def key(self, scope: Scope) -> str:
        """The counter key of one HTTP request.

        Args:
            scope: The ASGI HTTP scope.

        Returns:
            `"METHOD /path"` with id parameters as `{id}`, or `"METHOD /raw/path"` when no
            route matches.
        """
        method: str = scope["method"]
        path: str = scope["path"]
        cached = self._cache.get((method, path))
        if cached is not None:
            return cached
        template = self._match(self._routes, {**scope, "root_path": ""}, "") or path
        key = f"{method} {template}"
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[(method, path)] = key
        return key

    def _match(self, routes: Sequence[BaseRoute], scope: Scope, prefix: str) -> str | None:
        partial: str | None = None
        for route in routes:
            match, child_scope = route.matches(scope)
            if match is Match.NONE:
                continue
            template = self._template_of(route, {**scope, **child_scope}, prefix)
            if match is Match.FULL:
                return template
            partial = partial or template
        return partial

    def _template_of(self, route: BaseRoute, scope: Scope, prefix: str) -> str | None:
        params: Mapping[str, Any] = scope.get("path_params", {})
        convertors: Mapping[str, Convertor[Any]] = getattr(route, "param_convertors", {})
        if isinstance(route, Mount):
            # A Mount's path_format ends in `/{path}`; its own prefix is `path`.
            own = self._render(route.path, params, convertors)
            return self._match(route.routes, scope, prefix + own)
        path_format: str = getattr(route, "path_format", "")
        return prefix + self._render(path_format, params, convertors)

    def _render(
        self, path_format: str, params: Mapping[str, Any], convertors: Mapping[str, Convertor[Any]]
    ) -> str:
        """Put the request's own values back into a path format, ids as `{id}`."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in self._id_params:
                return ID_PLACEHOLDER
            if name not in params:
                return match.group(0)
            convertor = convertors.get(name)
            raw = params[name]
            return convertor.to_string(raw) if convertor is not None else str(raw)

        return _PARAM.sub(value, path_format)
