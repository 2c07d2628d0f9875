"""The division registry (行政区划): province -> prefecture -> county from a published GB/T 2260 dataset
(gbt2260.json), and, below the counties, the SAMPLE townships and villages the platform's tests and demo use
(sample_villages.json; made-up names, see README.md). Read once, never written; no rule lives here.

Codes: a province, prefecture or county is 6 digits (530000, 530100, 530102), a township 9 (530102001), a
village 12 (530102001001). A person's application needs a village's 12-digit code."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ("gbt2260.json", "sample_villages.json")
LEVELS = ("province", "prefecture", "county", "township", "village")


@dataclass(frozen=True)
class Division:
    code: str
    name_zh: str
    parent: str | None
    level: str
    sample: bool  # a made-up township or village for training, not published data


def level_of(code: str, parent_level: str | None) -> str:
    """By the code's length (9: township, 12: village), else one below the parent: Dongguan and Zhongshan have
    townships straight under the prefecture."""
    if not code.isdigit() or len(code) not in (6, 9, 12):
        raise ValueError(f"division {code!r} is not a 6, 9 or 12-digit code")
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    level = "province" if parent_level is None else LEVELS[LEVELS.index(parent_level) + 1]
    if level not in ("province", "prefecture", "county"):
        raise ValueError(f"division {code} is a 6-digit code below a county")
    return level


class Registry:
    def __init__(self, rows: list[tuple[str, str, str | None, bool]]):
        self._by_code: dict[str, Division] = {}
        self._children: dict[str | None, list[str]] = {}
        for code, name, parent, sample in rows:
            if code in self._by_code:
                raise ValueError(f"division {code} is listed twice")
            if parent is not None and parent not in self._by_code:
                raise ValueError(f"division {code}: its parent {parent} is not listed before it")
            level = level_of(code, None if parent is None else self._by_code[parent].level)
            self._by_code[code] = Division(code, name, parent, level, sample)
            self._children.setdefault(parent, []).append(code)
        for codes in self._children.values():
            codes.sort()

    def get(self, code: str | None) -> Division | None:
        return self._by_code.get(code or "")

    def children(self, code: str | None) -> list[Division]:
        """The divisions directly under `code` (None: the provinces), by code."""
        return [self._by_code[c] for c in self._children.get(code or None, [])]

    def path(self, code: str | None) -> list[Division]:
        """The division and its ancestors, province first; [] for an unknown code."""
        out: list[Division] = []
        node = self.get(code)
        while node is not None:
            out.append(node)
            node = self.get(node.parent)
        return out[::-1]

    def full_name(self, code: str | None, separator: str = "") -> str:
        """云南省昆明市五华区样例乡镇001样例村001 (the municipalities' 市辖区 placeholder left out)."""
        return separator.join(d.name_zh for d in self.path(code) if d.name_zh not in ("市辖区", "县"))

    def is_village(self, code: str | None) -> bool:
        node = self.get(code)
        return node is not None and node.level == "village"

    def __len__(self) -> int:
        return len(self._by_code)


def _rows(name: str) -> list[tuple[str, str, str | None, bool]]:
    with open(HERE / name, encoding="utf-8") as f:
        data = json.load(f)
    sample = bool(data.get("sample"))
    return [(str(code), str(name_zh), parent, sample) for code, name_zh, parent in data["divisions"]]


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry([row for name in FILES for row in _rows(name)])
