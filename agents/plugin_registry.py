"""Registries of declared plugins: judges (``agents.judges.JUDGES``) and bidding strategies
(``agents.bidding.BIDDERS``), as ``mechanisms.registry`` holds mechanisms.

A plugin is a class with a registry ``name``, a ``kinds`` mapping that declares, for every
kind its registry knows, True or False, and a class method that builds it for a population
(the registry's ``builder``). ``tests/agents/test_plugins.py`` checks every registered
plugin against its declared kinds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence


class Registry:
    """Plugin classes by name, in registration order.

    Parameters
    ----------
    what : str
        What the plugins are, for messages about a declaration (``"judge"``).
    field : str
        The setting that names plugins, for messages about a name (``"judge_mix"``).
    kinds : mapping of str to str
        Every kind a plugin must declare, with its meaning.
    builder : str
        Name of the class method that builds a plugin for a population.
    """

    def __init__(self, what: str, field: str, kinds: Mapping[str, str], builder: str) -> None:
        self.what = what
        self.field = field
        self.kinds = dict(kinds)
        self.builder = builder
        self._plugins: dict[str, type] = {}

    def register(self, plugin: type) -> type:
        """Add ``plugin`` under ``plugin.name``, after checking its declaration; returns it.

        Usable as a class decorator. A name already taken raises ValueError.
        """
        name = getattr(plugin, "name", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.what}: {plugin!r} declares no name")
        if name in self._plugins:
            raise ValueError(f"{self.what}: {name!r} is already registered")
        declared = getattr(plugin, "kinds", None)
        if not isinstance(declared, Mapping) or set(declared) != set(self.kinds):
            raise ValueError(
                f"{self.what} {name!r}: kinds must declare exactly {sorted(self.kinds)}, "
                f"got {None if declared is None else sorted(declared)}"
            )
        if not all(isinstance(value, bool) for value in declared.values()):
            raise ValueError(f"{self.what} {name!r}: every kind must be True or False")
        if not callable(getattr(plugin, self.builder, None)):
            raise ValueError(f"{self.what} {name!r}: defines no class method {self.builder}")
        self._plugins[name] = plugin
        return plugin

    def unregister(self, name: str) -> type:
        """Remove and return the plugin registered as ``name``."""
        plugin = self.get(name)
        del self._plugins[name]
        return plugin

    def get(self, name: str) -> type:
        """The plugin class registered as ``name``; unknown names raise ValueError."""
        try:
            return self._plugins[name]
        except KeyError:
            raise ValueError(
                f"{self.field}: unknown type {name!r}; use one of {list(self._plugins)}"
            ) from None

    def names(self, **kinds: bool) -> tuple[str, ...]:
        """Registered names whose declared kinds equal ``kinds``, in registration order."""
        unknown = sorted(set(kinds) - set(self.kinds))
        if unknown:
            raise ValueError(f"{self.what}: unknown kind(s) {unknown}; use {sorted(self.kinds)}")
        return tuple(
            name
            for name, plugin in self._plugins.items()
            if all(plugin.kinds[kind] == value for kind, value in kinds.items())
        )

    def live_names(self, **kinds: bool) -> Names:
        """:meth:`names` as a sequence that follows later registrations."""
        return Names(self, kinds)


class Names(Sequence):
    """A read-only, live tuple of a registry's names of some kinds (see :meth:`Registry.names`).

    Compares equal to the tuple of its current names.
    """

    def __init__(self, registry: Registry, kinds: Mapping[str, bool]) -> None:
        self._registry = registry
        self._kinds = dict(kinds)

    def _current(self) -> tuple[str, ...]:
        return self._registry.names(**self._kinds)

    def __getitem__(self, index):
        return self._current()[index]

    def __len__(self) -> int:
        return len(self._current())

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __contains__(self, name: object) -> bool:
        return name in self._current()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._current() == tuple(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._current())
