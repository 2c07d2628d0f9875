"""The catalogue names the portal as a receiver of exactly the event types its household file (一户一档) reads, so the
AsyncAPI document generated from it tells a reader which events reach the portal."""
import yaml

from portal.staff.household_file import RULES
from tests.services import ROOT


def test_the_portal_receives_exactly_the_event_types_of_the_household_file():
    catalog = yaml.safe_load((ROOT / "contracts" / "catalog.yaml").read_text(encoding="utf-8"))["events"]
    listed = {event_type for event_type, entry in catalog.items() if "portal" in (entry.get("receivers") or [])}
    assert listed == set(RULES), {"listed, not read": sorted(listed - set(RULES)),
                                  "read, not listed": sorted(set(RULES) - listed)}
