"""How the typed messages of the control socket are declared, checked on receipt and written.

A message is a class whose fields each name a check. `from_wire` accepts a decoded JSON object only when
it holds no field the class does not declare, every field it must hold, and every value of its declared type
(a bool is not an int, an int is a number); anything else raises MessageError, which the receiving side
classifies. Standard library only: the untrusted child imports this before the kernel library is loaded, and
every harness child pays its import. That is why @message spells out __init__ and to_wire itself (one exec a
class, as dataclasses do) rather than calling dataclasses: a dataclass took ten times as long to declare, 12 ms
of the child's start for the protocol's classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform

__all__ = ["MessageError", "Message", "message", "INT", "NUMBER", "STR", "BOOL", "TRUE", "optional", "list_of",
           "nested", "rebuilding"]

Check = Callable[[Any], Any]
M = TypeVar("M", bound="Message")


class MessageError(ValueError):
    """A message that is not what its type declares."""


def _scalar(what: str, *types: type) -> Check:
    """A check that a value is of one of types, exactly (a bool is no int; an int is a number)."""
    def check(value: Any) -> Any:
        if type(value) in types:
            return value
        raise MessageError(f"expected {what}, got {type(value).__name__}")
    setattr(check, "types", types)
    return check


INT = _scalar("an int", int)
NUMBER = _scalar("a number", int, float)  # JSON has one number type; range checks belong to the claim's reader
STR = _scalar("a string", str)
BOOL = _scalar("a bool", bool)


def TRUE(value: Any) -> bool:
    """A flag message's one value."""
    if value is True:
        return value
    raise MessageError(f"expected true, got {value!r:.40}")


def rebuilding(check: Check) -> Check:
    """Mark check as one whose value is not the wire's (a message, a tuple): from_wire keeps what it returns,
    to_wire writes it back."""
    setattr(check, "rebuilds", True)
    return check


def _carries(check: Check, inner: Check) -> Check:
    """check rebuilds wherever inner does."""
    setattr(check, "rebuilds", getattr(inner, "rebuilds", False))
    return check


def optional(check: Check) -> Check:
    """check, or null (one type test where check is a scalar's: optional fields are on the hot path)."""
    types = getattr(check, "types", None)
    if types is not None:
        return _scalar("null or one of " + "/".join(t.__name__ for t in types), *types, type(None))
    return _carries(lambda value: None if value is None else check(value), check)


def list_of(check: Check, length: int | None = None) -> Check:
    def checked(value: Any) -> list[Any]:
        if type(value) is not list or (length is not None and len(value) != length):
            raise MessageError(f"expected a list{f' of {length}' if length is not None else ''}")
        return [check(item) for item in value]
    return _carries(checked, check)


def nested(cls: type[Message]) -> Check:
    def checked(value: Any) -> Message:
        return cls.from_wire(value)
    return rebuilding(checked)


class Message:
    """A message of the control socket (declared with @message): compared, printed and written by its fields."""

    CHECKS: ClassVar[dict[str, Check]]
    _REBUILDS: ClassVar[bool]
    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and type(other) is type(self) and self.to_wire() == other.to_wire()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    @classmethod
    def from_wire(cls: type[M], data: Any) -> M:
        """The message data holds, checked; MessageError when it is not one."""
        if type(data) is not dict:
            raise MessageError(f"a {cls.__name__} that is not an object")
        checks = cls.CHECKS
        values = {} if cls._REBUILDS else data  # plain values are kept as they came, once checked
        try:
            for key, value in data.items():
                checked = checks[key](value)
                if values is not data:
                    values[key] = checked
        except MessageError as exc:
            raise MessageError(f"a {cls.__name__} whose field is wrong: {exc}") from None
        except KeyError:
            unknown = sorted(data.keys() - checks.keys())[:4]
            raise MessageError(f"a {cls.__name__} with fields it does not have: {unknown}") from None
        except RecursionError:
            raise MessageError(f"a {cls.__name__} nested too deep") from None
        try:
            return cls(**values)
        except TypeError:  # a field it must hold is missing
            raise MessageError(f"a {cls.__name__} without a field it must hold") from None

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message (each class's own, spelled out by @message)."""
        raise NotImplementedError


def _wire(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_wire()
    if isinstance(value, (list, tuple)):
        return [_wire(item) for item in value]
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    return value


def _methods(cls: type, checks: dict[str, Check]) -> dict[str, Any]:
    """__init__ and to_wire of one class, spelled out (the fields are the class's own names, checked to be
    identifiers by the class statement itself)."""
    defaults = {name: cls.__dict__[name] for name in checks if name in cls.__dict__}
    params = ", ".join(f"{name}=_default_{name}" if name in defaults else name for name in checks)
    body = "".join(f"    self.{name} = {name}\n" for name in checks) or "    pass\n"
    items = ", ".join(f"{name!r}: _wire(self.{name})" if getattr(check, "rebuilds", False) else f"{name!r}: self.{name}"
                      for name, check in checks.items())
    scope: dict[str, Any] = {"_wire": _wire, **{f"_default_{name}": value for name, value in defaults.items()}}
    exec(f"def __init__(self, {params}):\n{body}\ndef to_wire(self):\n    return {{{items}}}\n", scope)
    return {"__init__": scope["__init__"], "to_wire": scope["to_wire"]}


@dataclass_transform()
def message(**checks: Check) -> Callable[[type[M]], type[M]]:
    """Declare a message: its fields are exactly checks' keys, in order, annotated in the class (defaults as in a
    dataclass, immutable ones only)."""
    def declare(cls: type[M]) -> type[M]:
        names = list(cls.__dict__.get("__annotations__", {}))
        if names != list(checks):
            raise TypeError(f"{cls.__name__}: fields {names} and checks {list(checks)} differ")
        for name, method in _methods(cls, checks).items():
            setattr(cls, name, method)
        cls.CHECKS = checks
        cls._REBUILDS = any(getattr(check, "rebuilds", False) for check in checks.values())
        return cls
    return declare
