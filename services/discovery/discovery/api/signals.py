"""Partner signals over HTTP 部门预警数据报送: a JSON-lines or CSV file, streamed in, screened record by record,
committed in batches, answered with one result line per record."""
from __future__ import annotations

import io
import json
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import IO, Callable, Iterator

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.orm import Session

from discovery import handlers
from discovery.api.deps import PartnerDepartment, context, transaction
from discovery.api.schemas import SignalResult
from discovery.domain.signals import InvalidSignal
from discovery.signal_files import RecordResult, iter_csv, iter_jsonl, screen_stream
from shared.auth import Principal
from shared.emits import route_emits

router = APIRouter(prefix="/api/v1", tags=["signals"])
FORMATS = {"application/x-ndjson": "jsonl", "application/jsonl": "jsonl", "application/json-lines": "jsonl",
           "text/csv": "csv"}
SPOOL_IN_MEMORY = 1 << 20  # results beyond 1 MiB go to a temporary file
RESPONSE_CHUNK = 64 * 1024

REQUEST_BODY = {
    "required": True,
    "content": {
        "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}, "example":
            '{"source_department":"medical_insurance","external_id":"MI-1","kind":"medical_expense",'
            '"id_number":"11010519491231002X","division_code":"530102001001","occurred_on":"2026-11-20",'
            '"amounts":{"per_stay_yuan":12000}}\n'},
        "text/csv": {"schema": {"type": "string", "format": "binary"}, "example":
            "source_department,external_id,kind,id_number,division_code,occurred_on,household_status,note,"
            "amount.per_stay_yuan\nmedical_insurance,MI-1,medical_expense,11010519491231002X,530102001001,"
            "2026-11-20,none,,12000\n"},
    },
}
RESPONSES = {
    200: {"description": "One JSON line per record (SignalResult): clue | no_clue | invalid | duplicate; the counts "
                         "are in the X-Records-* headers",
          "content": {"application/x-ndjson": {"schema": SignalResult.model_json_schema()}}},
    401: {"description": "No or invalid token"}, 403: {"description": "Not a partner token, or one without a department"},
    415: {"description": "Neither application/x-ndjson nor text/csv"},
    422: {"description": "The CSV header lacks a required column or names an unknown one"},
}


class RequestBody(io.RawIOBase):
    """The request body as a blocking file, read chunk by chunk from the event loop by the worker thread."""

    def __init__(self, next_chunk: Callable[[], bytes | None]):
        self._next, self._pending, self._ended = next_chunk, memoryview(b""), False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending and not self._ended:
            chunk = self._next()
            if not chunk:
                self._ended = True
            else:
                self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


@dataclass
class Upload:
    upload_id: str
    principal: Principal
    counts: Counter


def _batches(results: Iterator[RecordResult], size: int) -> Iterator[list[RecordResult]]:
    while batch := list(islice(results, size)):
        yield batch


def _wrong_department(result: RecordResult, principal: Principal) -> InvalidSignal | None:
    department = result.record.source_department
    if principal.role == "partner" and department != principal.department:
        return InvalidSignal("source_department", "source_department_matches_token",
                             f"source_department {department!r} is not your department ({principal.department!r})",
                             f"报送部门 {department!r} 与令牌中的部门（{principal.department!r}）不一致")
    return None


def _take(session: Session, ctx: handlers.Context, result: RecordResult, upload: Upload) -> dict:
    line: dict = {"line": result.line, "external_id": result.external_id}
    error = result.error if result.status == "invalid" else _wrong_department(result, upload.principal)
    if error is not None:
        return {**line, "status": "invalid", "error": error.as_dict()}
    outcome = handlers.take_signal(session, ctx, result.record, result.clue, actor=upload.principal, channel="http",
                                   upload_id=upload.upload_id)
    line["status"] = outcome.status
    if outcome.clue_id:
        line["clue_id"] = outcome.clue_id
    if outcome.clue_status:
        line["clue_status"] = outcome.clue_status
    return line


def take_file(runtime, ctx: handlers.Context, stream: IO[bytes], fmt: str, encoding: str, upload: Upload,
              out: IO[bytes]) -> None:
    """Screens the file lazily and takes its records in, one transaction per batch; writes each record's result to
    `out` once its batch is committed. Runs in a worker thread."""
    rows = iter_jsonl(stream) if fmt == "jsonl" else iter_csv(stream, encoding)
    results = screen_stream(rows, runtime.screener, today=ctx.today())
    for batch in _batches(results, runtime.settings.signal_batch_size):
        lines = transaction(runtime, lambda session, batch=batch: [_take(session, ctx, r, upload) for r in batch])
        for line in lines:
            upload.counts[line["status"]] += 1
            out.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
    transaction(runtime, lambda session: handlers.record_upload(
        session, ctx, upload.principal, upload.upload_id, {"format": fmt, **upload.counts}))


def _content_type(header: str | None) -> tuple[str | None, str]:
    media, _, params = (header or "").partition(";")
    encoding = "utf-8-sig"
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset" and value:
            encoding = value.strip('"').lower()
            if encoding in ("utf-8", "utf8"):
                encoding = "utf-8-sig"  # tolerate the byte-order mark spreadsheet exports put first
    return FORMATS.get(media.strip().lower()), encoding


def _drain(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(RESPONSE_CHUNK):
            yield chunk
    finally:
        spool.close()


@router.post("/signals", summary="Send partner signals in bulk 批量报送部门预警数据",
             description="A JSON-lines (application/x-ndjson) or CSV (text/csv; charset=utf-8 or gb18030) file of "
                         "partner records, streamed: any size. Each record is validated and screened by the rules in "
                         "force for its region and date; a hit becomes a risk clue. A record already sent (same "
                         "source_department and external_id) is a `duplicate`; a record's source_department must be "
                         "the token's department. Records are committed in batches; the answer has one JSON line per "
                         "record, in file order.",
             openapi_extra={"requestBody": REQUEST_BODY,
                            **route_emits("discovery.clue.raised", "discovery.household.updated")},
             responses=RESPONSES, response_class=StreamingResponse)
async def upload_signals(request: Request, principal: PartnerDepartment):
    fmt, encoding = _content_type(request.headers.get("content-type"))
    if fmt is None:
        return JSONResponse(status_code=415, content={
            "error": "unsupported_media_type", "field": "header.Content-Type", "rule": "ndjson_or_csv",
            "message": "Send application/x-ndjson (one JSON record per line) or text/csv.",
            "message_zh": "请以 application/x-ndjson（每行一条 JSON 记录）或 text/csv 格式报送。"})
    if principal.role == "partner" and not principal.department:
        return JSONResponse(status_code=403, content={
            "error": "department_required", "message": "The partner token names no department.",
            "message_zh": "部门令牌中未注明报送部门。"})
    runtime = request.app.state.runtime
    ctx = context(request)
    chunks = request.stream().__aiter__()

    async def next_chunk() -> bytes | None:
        try:
            return await chunks.__anext__()
        except StopAsyncIteration:
            return None

    stream = io.BufferedReader(RequestBody(lambda: anyio.from_thread.run(next_chunk)), buffer_size=RESPONSE_CHUNK)
    upload = Upload(str(uuid.uuid4()), principal, Counter())
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")
    try:
        await anyio.to_thread.run_sync(partial(take_file, runtime, ctx, stream, fmt, encoding, upload, spool))
    except InvalidSignal as broken:  # the CSV header: no record could be read
        spool.close()
        return JSONResponse(status_code=422, content={
            "error": "validation_failed", "message": "The file is not valid; see errors.",
            "message_zh": "文件内容不符合要求，详见 errors。", "errors": [broken.as_dict()]})
    except LookupError as broken:  # an unknown charset
        spool.close()
        return JSONResponse(status_code=415, content={
            "error": "unsupported_charset", "field": "header.Content-Type", "rule": "known_charset",
            "message": f"Unknown charset: {broken}", "message_zh": "无法识别的字符集。"})
    except BaseException:
        spool.close()
        raise
    counts = upload.counts
    headers = {"X-Upload-Id": upload.upload_id, "X-Records-Total": str(sum(counts.values())),
               **{f"X-Records-{status.replace('_', '-').title()}": str(counts[status])
                  for status in ("clue", "no_clue", "invalid", "duplicate")}}
    return StreamingResponse(_drain(spool), media_type="application/x-ndjson", headers=headers)
