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


def shell_commands(text: str) -> list[str]:
    """The README's shell commands, continuation lines joined."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        commands += [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip()]
    return commands


def test_every_staff_call_in_the_readme_carries_a_token_and_no_placeholder_is_left():
    commands = shell_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    staff_calls = [c for c in commands if re.search(r"curl .*/api/v1/(?!public/|applications\b|applications/\$)", c)
                   and "docker compose" not in c]
    assert len(staff_calls) >= 15
    for command in staff_calls:
        assert "Authorization: Bearer $" in command, command
    for command in commands:
        assert not re.search(r"<[a-z_]+( from [^>]*)?>", command), f"a placeholder to fill in by hand: {command}"
    assert any("/dev/clock" in c and "advance_days" in c for c in commands), "the walkthrough moves the training clock"
