"""What every response and every event must look like: bilingual error bodies and RFC 3339 timestamps with offsets."""
from __future__ import annotations

import re
CJK = re.compile(r"[\u4e00-\u9fff]")
# A datetime as the services write it (RFC 3339 / ISO 8601 with a time part).
DATETIME_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# An English code in a Chinese message: a lower-case identifier (a state, action, outcome, role or programme code
# such as in_notice, withdraw, county, dibao). Proper nouns and acronyms (JSON, UUID, Bearer) are capitalised;
# media types (text/csv) are names, not codes.
ENGLISH_CODE = re.compile(r"(?<![A-Za-z0-9_./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?![A-Za-z0-9_/-])")
# Words a Chinese message may quote: the body's own keys it points to.
ALLOWED_IN_ZH = {"correlation_id", "errors", "message_zh"}
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Keys that name a moment: *_at, *time, *_on, *timestamp, and a few bare words.
TIME_KEY = re.compile(r"(_at|time|_on|timestamp|_since|_until|^at|^since|^until|^deadline|_deadline)$", re.IGNORECASE)


def error_body_problems(status: int, body) -> list[str]:
    """An error body is `{"error", "message", "message_zh", ...}`; message_zh is Chinese; 422 lists field and rule."""
    if not isinstance(body, dict):
        return [f"{status}: the body is not a JSON object: {str(body)[:200]!r}"]
    problems = []
    for key in ("error", "message", "message_zh"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            problems.append(f"{status}: {key!r} missing or empty")
    if isinstance(body.get("message_zh"), str) and body["message_zh"].strip() and not CJK.search(body["message_zh"]):
        problems.append(f"{status}: message_zh has no Chinese: {body['message_zh'][:120]!r}")
    codes = english_codes(body.get("message_zh"))
    if codes:
        problems.append(f"{status}: message_zh shows English codes {codes}: {body['message_zh'][:160]!r}")
    if status == 422 and body.get("error") == "validation_failed":
        errors = body.get("errors")
        if not isinstance(errors, list) or not errors:
            problems.append("422: 'errors' must list the fields and rules that failed")
        else:
            for e in errors:
                for key in ("field", "rule", "message", "message_zh"):
                    if not isinstance(e, dict) or not isinstance(e.get(key), str) or not e[key]:
                        problems.append(f"422: an entry of 'errors' lacks {key!r}: {str(e)[:200]}")
                        break
                else:
                    if not CJK.search(e["message_zh"]):
                        problems.append(f"422: errors[].message_zh for {e['field']} ({e['rule']}) has no Chinese: "
                                        f"{e['message_zh'][:120]!r}")
    return problems


def english_codes(message_zh) -> list[str]:
    if not isinstance(message_zh, str):
        return []
    return sorted({m for m in ENGLISH_CODE.findall(message_zh) if m not in ALLOWED_IN_ZH and len(m) > 1})


def _offset_problem(path: str, value: str) -> str | None:
    if DATE_ONLY.match(value):
        return None  # a calendar date needs no offset
    if not RFC3339.match(value):
        return f"{path}: {value!r} is not an RFC 3339 date-time with an offset"
    return None


def timestamp_problems(value, path: str = "$") -> list[str]:
    """Every value that looks like a date-time (by its shape, wherever it is) is RFC 3339 with an offset; a value
    under a time-like key (*_at, *time, ...) that is text must be a date-time or a plain date."""
    problems = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if isinstance(item, str) and TIME_KEY.search(str(key)) and item and not (
                    DATETIME_LIKE.match(item) or DATE_ONLY.match(item)):
                problems.append(f"{where}: {item!r} under a time key is neither a date-time nor a date")
            else:
                problems += timestamp_problems(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problems += timestamp_problems(item, f"{path}[{i}]")
    elif isinstance(value, str) and DATETIME_LIKE.match(value):
        problem = _offset_problem(path, value)
        if problem:
            problems.append(problem)
    return problems


def date_time_paths(schema, resolve=lambda s: s, path: tuple = (), depth: int = 0) -> list[tuple]:
    """Paths (property names, '*' for array items) of every `format: date-time` in a JSON Schema or OpenAPI schema
    (`resolve` follows $refs)."""
    found: list[tuple] = []
    schema = resolve(schema)
    if not isinstance(schema, dict) or depth > 12:
        return found
    if schema.get("format") == "date-time":
        found.append(path)
    for name, sub in (schema.get("properties") or {}).items():
        found += date_time_paths(sub, resolve, path + (name,), depth + 1)
    if isinstance(schema.get("items"), dict):
        found += date_time_paths(schema["items"], resolve, path + ("*",), depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or []:
            found += date_time_paths(sub, resolve, path, depth + 1)
    return sorted(set(found))


def set_at(instance, path: tuple, value) -> bool:
    """Sets every string at `path` in `instance` to `value`; False when the path is absent."""
    if not path:
        return False
    head, rest = path[0], path[1:]
    if head == "*":
        keys = list(range(len(instance))) if isinstance(instance, list) else []
    else:
        keys = [head] if isinstance(instance, dict) and head in instance else []
    changed = False
    for key in keys:
        if rest:
            changed |= set_at(instance[key], rest, value)
        elif isinstance(instance[key], str):
            instance[key] = value
            changed = True
    return changed


def naive(value: str) -> str:
    """The same moment written without its offset."""
    import re as _re
    return _re.sub(r"([Zz]|[+-]\d{2}:?\d{2})$", "", value)
