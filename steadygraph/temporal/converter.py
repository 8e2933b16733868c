"""Temporal's default data converter, reading each dataclass's field types once.

Turning a payload into one of the contract's dataclasses (RunInput, StepInput,
StepResult, ...) makes the SDK call `typing.get_type_hints` on the class each
time, and with postponed annotations that evaluates every field's annotation
string again: 4 % of a worker's CPU under load (bench/README.md, session 7).
Here the hints are read once per class; the fields are converted by the SDK's
own `value_to_type`. Payloads are encoded exactly as by Temporal's default
converter, so clients and tools using the default read and write the same.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any

from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
    value_to_type,
)


@functools.cache
def field_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class _DataclassFields(JSONTypeConverter):
    """A dataclass from its JSON object, as the SDK builds it (unknown keys
    ignored, init=False fields set afterwards), with hints read once."""

    def to_typed_value(self, hint: type, value: Any) -> Any:
        if not (
            isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict)
        ):
            return JSONTypeConverter.Unhandled
        hints = field_hints(hint)
        given: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for field in dataclasses.fields(hint):
            if field.name in value:
                converted = value_to_type(hints[field.name], value[field.name], [self])
                (given if field.init else later)[field.name] = converted
        made = hint(**given)
        for name, converted in later.items():
            object.__setattr__(made, name, converted)
        return made


class SteadygraphPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(
            *(
                JSONPlainPayloadConverter(custom_type_converters=[_DataclassFields()])
                if isinstance(converter, JSONPlainPayloadConverter)
                else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


DATA_CONVERTER = dataclasses.replace(
    DataConverter.default, payload_converter_class=SteadygraphPayloadConverter
)
