"""The fuzz harness's own checks: each must refuse what it is there to refuse."""
from tests.fuzz.checks import english_codes, error_body_problems, naive, set_at


def test_a_sound_error_body_passes():
    assert error_body_problems(404, {"error": "not_found", "message": "No such record.", "message_zh": "没有该记录。"}) == []
    assert error_body_problems(422, {"error": "validation_failed", "message": "bad", "message_zh": "请求内容不符合要求，详见 errors。",
                                     "errors": [{"field": "age", "rule": "less_than_equal", "message": "too big",
                                                 "message_zh": "数值超过上限"}]}) == []


def test_each_kind_of_bad_error_body_is_refused():
    assert error_body_problems(500, "Internal Server Error")
    assert error_body_problems(404, {"detail": "Not Found"})
    assert error_body_problems(503, {"error": "x", "message": "down", "message_zh": ""})
    assert error_body_problems(409, {"error": "x", "message": "m", "message_zh": "Not Found"})  # no Chinese
    assert error_body_problems(403, {"error": "x", "message": "m", "message_zh": "需要 county 角色"})  # English code
    assert error_body_problems(422, {"error": "validation_failed", "message": "m", "message_zh": "不符合要求"})  # no errors
    assert error_body_problems(422, {"error": "validation_failed", "message": "m", "message_zh": "不符合要求",
                                     "errors": [{"field": "age", "message": "m", "message_zh": "超过上限"}]})  # no rule
    assert error_body_problems(422, {"error": "validation_failed", "message": "m", "message_zh": "不符合要求",
                                     "errors": [{"field": "d", "rule": "date_type", "message": "m",
                                                 "message_zh": "Input should be a valid date"}]})


def test_english_codes_are_lower_case_identifiers_not_proper_nouns():
    assert english_codes("当前状态（in_notice）不能执行 withdraw；角色 county") == ["county", "in_notice", "withdraw"]
    assert english_codes("需要令牌（Authorization: Bearer …），JSON 格式，RFC 3339，详见 errors，编号 correlation_id") == []
    assert english_codes("请以 application/x-ndjson 或 text/csv 格式报送") == []


def test_naive_and_set_at():
    assert naive("2026-03-01T08:00:00+08:00") == naive("2026-03-01T08:00:00Z") == "2026-03-01T08:00:00"
    body = {"items": [{"at": "2026-03-01T08:00:00Z"}, {"at": "2026-03-02T08:00:00Z"}]}
    assert set_at(body, ("items", "*", "at"), "x") and body == {"items": [{"at": "x"}, {"at": "x"}]}
    assert not set_at(body, ("missing",), "x")
