"""Benchmark: partner-signal screening (read + decode + parse + screen) against parsing alone, on a synthetic file.

Run from the repository root with the repository and services/discovery on PYTHONPATH:
    python -m bench.screening --records 1000000
Each phase runs in its own process so that its peak memory is its own. Ends with one line:
signals_screened_per_s=<n> parse_only_per_s=<m> screening_vs_parse_ratio=<x> peak_rss_mb=<r>
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from typing import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPARTMENTS = {
    "medical_expense": "medical_insurance", "severe_disability": "disabled_persons_federation",
    "earner_death": "public_security", "earner_labour_loss": "human_resources_social_security",
    "unemployment": "human_resources_social_security", "migrant_return": "human_resources_social_security",
    "crop_failure": "agriculture", "disaster_loss": "emergency_management", "education_cost": "education",
    "income_drop": "human_resources_social_security",
}
KIND_WEIGHTS = {"medical_expense": 40, "income_drop": 10, "unemployment": 8, "migrant_return": 8, "crop_failure": 8,
                "disaster_loss": 5, "education_cost": 8, "severe_disability": 5, "earner_death": 3, "earner_labour_loss": 5}
STATUS_WEIGHTS = {"none": 60, "formerly_poor": 15, "monitored": 15, "enrolled": 10}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _pools(seed: int, size: int) -> tuple[list[str], list[str]]:
    """Valid resident ID numbers and real division codes, made once: Faker and the check digit are not per record."""
    from shared.synthetic import DIVISIONS, HouseholdFactory

    factory = HouseholdFactory(seed)
    divisions = [base[:6] + f"{town:03d}{village:03d}" for base in DIVISIONS for town in range(1, 6)
                 for village in range(1, 11)] + [base[:6] for base in DIVISIONS]
    ids = list({factory.resident_id(factory.rng.choice(divisions), factory.birth_date(0, 90)) for _ in range(size)})
    return ids, divisions


def synthetic_signals(n: int, seed: int = 42, invalid_share: float = 0.01, last_day: date | None = None) -> Iterator[dict]:
    """`n` partner signal records of every kind, about 1% of them broken in one of the ways partners break them."""
    rng = random.Random(seed)
    ids, divisions = _pools(seed, 4000)
    kinds, kind_weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    statuses, status_weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    last_day = last_day or min(date.today(), date(2025, 12, 31))
    first_day = date(2025, 1, 1)
    days = [(first_day + timedelta(days=i)).isoformat() for i in range((last_day - first_day).days + 1)]
    lognorm, uniform = rng.lognormvariate, rng.uniform
    kind_batch: list[str] = []
    status_batch: list[str] = []
    for i in range(n):
        if not kind_batch:
            kind_batch = rng.choices(kinds, kind_weights, k=4096)
            status_batch = rng.choices(statuses, status_weights, k=4096)
        kind, status = kind_batch.pop(), status_batch.pop()
        if kind == "medical_expense":
            amounts = {"per_stay_yuan": round(lognorm(8.0, 0.8), 2)}
            if rng.random() < 0.6:
                amounts["cumulative_year_yuan"] = round(lognorm(8.8, 0.8), 2)
        elif kind == "income_drop":
            before = round(uniform(800, 6000), 2)
            amounts = {"previous_monthly_yuan": before, "current_monthly_yuan": round(before * uniform(0.2, 1.1), 2)}
        elif kind in ("crop_failure", "disaster_loss"):
            if rng.random() < 0.5:
                amounts = {"loss_share": round(uniform(0, 1), 4)}
            else:
                amounts = {"loss_yuan": round(lognorm(9, 1), 2)}
        elif kind == "education_cost":
            amounts = {"annual_cost_yuan": round(lognorm(8.8, 0.6), 2)}
        elif kind == "severe_disability":
            amounts = {"grade": rng.randint(1, 4)}
        else:
            amounts = {}
        record = {"source_department": DEPARTMENTS[kind], "external_id": f"{kind[:3].upper()}-{seed}-{i:09d}",
                  "kind": kind, "id_number": rng.choice(ids), "division_code": rng.choice(divisions),
                  "occurred_on": rng.choice(days), "household_status": status, "amounts": amounts}
        if rng.random() < invalid_share:
            _break(record, rng)
        yield record


def _break(record: dict, rng: random.Random) -> None:
    fault = rng.randrange(5)
    if fault == 0:
        number = record["id_number"]
        record["id_number"] = number[:17] + ("0" if number[17] != "0" else "1")
    elif fault == 1:
        record["kind"] = "lottery_win"
    elif fault == 2:
        record["amounts"] = {"per_stay_yuan": -12.5} if record["kind"] == "medical_expense" else {"nonsense": 1}
    elif fault == 3:
        record["occurred_on"] = "2999-01-01"
    else:
        record["division_code"] = "530000"


def write_file(path: str, n: int, seed: int) -> None:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        chunk: list[str] = []
        for record in synthetic_signals(n, seed):
            chunk.append(dumps(record))
            if len(chunk) == 10_000:
                out.write("\n".join(chunk) + "\n")
                chunk.clear()
        if chunk:
            out.write("\n".join(chunk) + "\n")


def phase_parse(path: str) -> dict:
    from discovery.domain.signals import InvalidSignal, parse_record
    from discovery.signal_files import iter_jsonl

    today = date.today()
    counts: collections.Counter = collections.Counter()
    started = time.perf_counter()
    with open(path, "rb") as stream:
        for _line, raw, error in iter_jsonl(stream):
            if error is None:
                try:
                    parse_record(raw, today=today)  # type: ignore[arg-type]
                    counts["valid"] += 1
                    continue
                except InvalidSignal:
                    pass
            counts["invalid"] += 1
    seconds = time.perf_counter() - started
    return {"records": sum(counts.values()), "seconds": seconds, "counts": dict(counts), "rss_mb": rss_mb()}


def phase_screen(path: str) -> dict:
    from discovery.domain.screening import Screener, rule_set_from_policy
    from discovery.signal_files import iter_jsonl, screen_stream
    from shared.policy_client import PolicyRules

    # The shipped policy bundle (no replica): the rule sets a fresh service screens with before anything is published.
    screener = Screener(PolicyRules("screening", build=rule_set_from_policy))
    today = date.today()
    counts: collections.Counter = collections.Counter()
    rules: collections.Counter = collections.Counter()
    started = time.perf_counter()
    with open(path, "rb") as stream:
        for result in screen_stream(iter_jsonl(stream), screener, today=today):
            counts[result.status] += 1
            if result.clue is not None:
                rules[result.clue.rule_id] += 1
    seconds = time.perf_counter() - started
    return {"records": sum(counts.values()), "seconds": seconds, "counts": dict(counts), "rules": dict(rules),
            "rss_mb": rss_mb()}


def run_phase(name: str, path: str) -> dict:
    env = dict(os.environ)
    paths = [ROOT, os.path.join(ROOT, "services", "discovery"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    done = subprocess.run([sys.executable, "-m", "bench.screening", "--phase", name, "--file", path], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the generated file under var/")
    parser.add_argument("--phase", choices=["parse", "screen"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps((phase_parse if args.phase == "parse" else phase_screen)(args.file)))
        return

    os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
    handle, path = tempfile.mkstemp(prefix="bench-signals-", suffix=".jsonl", dir=os.path.join(ROOT, "var"))
    os.close(handle)
    try:
        started = time.perf_counter()
        write_file(path, args.records, args.seed)
        print(f"generated {args.records:,} records, {os.path.getsize(path) / 2**20:.0f} MiB, "
              f"in {time.perf_counter() - started:.1f} s: {path}", flush=True)
        parse = run_phase("parse", path)
        print(f"parse only:  {parse['records']:,} records in {parse['seconds']:.1f} s, {parse['counts']}, "
              f"peak {parse['rss_mb']:.0f} MB", flush=True)
        screened = run_phase("screen", path)
        print(f"screening:   {screened['records']:,} records in {screened['seconds']:.1f} s, {screened['counts']}, "
              f"peak {screened['rss_mb']:.0f} MB", flush=True)
        print("clues by rule: " + ", ".join(f"{rule}={n:,}" for rule, n in sorted(screened["rules"].items())))
    finally:
        if not args.keep:
            os.unlink(path)
    screened_per_s = screened["records"] / screened["seconds"]
    parse_per_s = parse["records"] / parse["seconds"]
    peak = max(rss_mb(), parse["rss_mb"], screened["rss_mb"])
    print(f"signals_screened_per_s={screened_per_s:.0f} parse_only_per_s={parse_per_s:.0f} "
          f"screening_vs_parse_ratio={screened_per_s / parse_per_s:.2f} peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()
