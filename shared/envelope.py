"""The CloudEvents 1.0 envelope (structured JSON mode) every event travels in; Kafka key = subject = household id."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared.contracts import schema_urn

CONTENT_TYPE = "application/cloudevents+json"
_FORMAT = JSONFormat()


@dataclass(frozen=True)
class Event:
    """One event as the platform sees it: CloudEvents attributes plus the correlation/causation extensions."""

    type: str
    source: str
    subject: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    correlationid: str | None = None
    causationid: str | None = None
    dataschema: str | None = None
    major: int = 1

    def schema(self) -> str:
        return self.dataschema or schema_urn(self.type, self.major)

    def envelope(self) -> dict[str, Any]:
        """The structured-mode JSON object, exactly as it goes on the wire."""
        return json.loads(self.to_bytes())

    def to_bytes(self) -> bytes:
        attributes: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "specversion": "1.0",
            "time": self.time,
            "subject": self.subject,
            "datacontenttype": "application/json",
            "dataschema": self.schema(),
            "correlationid": self.correlationid or self.id,
        }
        if self.causationid:
            attributes["causationid"] = self.causationid
        message = ce_kafka.to_structured(CloudEvent(attributes=attributes, data=self.data), _FORMAT,
                                         key_mapper=lambda e: e.get_subject())
        return message.value

    def caused(self, type: str, source: str, data: dict[str, Any], subject: str | None = None) -> "Event":
        """A new event caused by this one: same correlation id, causation id = this event's id."""
        return Event(type=type, source=source, subject=subject or self.subject, data=data,
                     correlationid=self.correlationid or self.id, causationid=self.id)


class UndecodableEvent(Exception):
    """The record's bytes are not a CloudEvents structured JSON object."""


def decode(value: bytes | None) -> dict[str, Any]:
    """Bytes off the wire -> the envelope as a plain dict (validated separately against the contracts)."""
    if value is None:
        raise UndecodableEvent("record has no value")
    try:
        obj = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UndecodableEvent(f"not UTF-8 JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise UndecodableEvent("envelope is not a JSON object")
    return obj


def from_envelope(envelope: dict[str, Any]) -> Event:
    """An envelope dict already validated against contracts/envelope.schema.json -> Event.

    Read directly rather than through the SDK's parser: the contract check has covered the CloudEvents
    attributes, and the consumer's hot path should not pay for validating them twice.
    """
    data = envelope.get("data")
    return Event(type=envelope["type"], source=envelope["source"], subject=envelope["subject"],
                 data=data if isinstance(data, dict) else {}, id=envelope["id"],
                 time=datetime.fromisoformat(envelope["time"].replace("Z", "+00:00")),
                 correlationid=envelope.get("correlationid"), causationid=envelope.get("causationid"),
                 dataschema=envelope.get("dataschema"))
