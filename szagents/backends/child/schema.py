"""How the typed messages of the control socket are declared, checked on receipt and written.

A message is a dataclass whose fields each name a check. `from_wire` accepts a decoded JSON object only when
it holds no field the class does not declare, every field it must hold, and every value of its declared type
(a bool is not an int, an int is a number); anything else raises MessageError, which the receiving side
classifies. Standard library only: the untrusted child imports this before the kernel library is loaded, and
every harness child pays its import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

__all__ = ["MessageError", "Message", "message", "INT", "NUMBER", "STR", "BOOL", "TRUE", "optional", "list_of",
           "nested"]

Check = Callable[[Any], Any]
M = TypeVar("M", bound="Message")


class MessageError(ValueError):
    """A message that is not what its type declares."""


def INT(value: Any) -> int:
    if type(value) is int:
        return value
    raise MessageError(f"expected an int, got {type(value).__name__}")


def NUMBER(value: Any) -> float:
    """An int or a float (JSON has one number type); range checks belong to the reader of the claim."""
    if type(value) is float or type(value) is int:
        return value
    raise MessageError(f"expected a number, got {type(value).__name__}")


def STR(value: Any) -> str:
    if type(value) is str:
        return value
    raise MessageError(f"expected a string, got {type(value).__name__}")


def BOOL(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise MessageError(f"expected a bool, got {type(value).__name__}")


def TRUE(value: Any) -> bool:
    """A flag message's one value."""
    if value is True:
        return value
    raise MessageError(f"expected true, got {value!r:.40}")


def _carries(check: Check, inner: Check) -> Check:
    """check holds messages wherever inner does (they are written back through to_wire)."""
    setattr(check, "holds_messages", getattr(inner, "holds_messages", False))
    return check


def optional(check: Check) -> Check:
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
    setattr(checked, "holds_messages", True)
    return checked


class Message:
    """A message of the control socket (declared with @message)."""

    __slots__ = ()
    CHECKS: ClassVar[dict[str, Check]]
    _NESTED: ClassVar[bool]

    @classmethod
    def from_wire(cls: type[M], data: Any) -> M:
        """The message data holds, checked; MessageError when it is not one."""
        if type(data) is not dict:
            raise MessageError(f"a {cls.__name__} that is not an object")
        checks = cls.CHECKS
        if not data.keys() <= checks.keys():
            raise MessageError(f"a {cls.__name__} with fields it does not have: {sorted(data.keys() - checks.keys())[:4]}")
        try:
            values = {key: checks[key](value) for key, value in data.items()}
        except MessageError as exc:
            raise MessageError(f"a {cls.__name__} whose field is wrong: {exc}") from None
        except RecursionError:
            raise MessageError(f"a {cls.__name__} nested too deep") from None
        try:
            return cls(**values)
        except TypeError:  # a field it must hold is missing
            raise MessageError(f"a {cls.__name__} without a field it must hold") from None

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this message."""
        if not self._NESTED:  # the common case, and the hot one (`done`): plain values only
            return {key: getattr(self, key) for key in self.CHECKS}
        return {key: _wire(getattr(self, key)) for key in self.CHECKS}


def _wire(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_wire()
    if isinstance(value, (list, tuple)):
        return [_wire(item) for item in value]
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    return value


def message(**checks: Check) -> Callable[[type[M]], type[M]]:
    """Declare a message: a slotted dataclass whose fields are exactly checks' keys, in order."""
    def declare(cls: type[M]) -> type[M]:
        made = dataclass(slots=True)(cls)
        names = [f.name for f in fields(made)]
        if names != list(checks):
            raise TypeError(f"{cls.__name__}: fields {names} and checks {list(checks)} differ")
        made.CHECKS = checks
        made._NESTED = any(getattr(check, "holds_messages", False) for check in checks.values())
        return made
    return declare
