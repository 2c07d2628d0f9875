"""The README's examples are accepted by the services: every resident ID number in it is valid."""
import re
from pathlib import Path

from discovery.domain.identity import check_resident_id

ROOT = Path(__file__).resolve().parents[2]


def test_every_resident_id_in_the_readme_and_the_contract_examples_is_valid():
    texts = [ROOT / "README.md", *sorted((ROOT / "contracts" / "examples").glob("*.json"))]
    found = 0
    for path in texts:
        for number in re.findall(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])", path.read_text(encoding="utf-8")):
            if number[:2] in ("11", "53", "52"):  # resident IDs, not timestamps or other digit runs
                assert check_resident_id(number) == number, f"{path.name}: {number}"
                found += 1
    assert found >= 4
