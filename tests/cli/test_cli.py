"""`handoff detect | eval | check-config`: output shapes, exit codes and error lines."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import EXAMPLE_CASES, EXAMPLE_WORKSPACE, ROOT, SHARED

CONFIG = ["--config", str(EXAMPLE_WORKSPACE)]
GOOD = json.dumps({"id": "a", "messages": [{"role": "user", "text": "Can I talk to a human?"}]})
DECISION_SCHEMA = ROOT / "tests" / "cli" / "decision.schema.json"


def run(*args: str, stdin: str | None = None) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_detect_writes_one_decision_per_case_in_input_order() -> None:
    lines = EXAMPLE_CASES.read_text().splitlines()
    code, out, _ = run("detect", *CONFIG, "--input", str(EXAMPLE_CASES))
    assert code == 0
    assert [json.loads(o)["id"] for o in out] == [json.loads(line)["id"] for line in lines]


def test_detect_output_matches_the_contract_schema() -> None:
    schema = json.loads(DECISION_SCHEMA.read_text())
    code, out, _ = run("detect", *CONFIG, "--input", str(EXAMPLE_CASES))
    assert code == 0
    for line in out:
        decision = json.loads(line)
        jsonschema.validate(decision, schema)
        assert decision["escalate"] == (decision["status"] == "escalate")


def test_detect_reads_standard_input() -> None:
    code, out, _ = run("detect", *CONFIG, stdin=GOOD + "\n")
    assert code == 0
    assert json.loads(out[0])["status"] == "escalate"


@pytest.mark.parametrize(
    ("line", "error_id", "fragment"),
    [
        ("{not json", None, "line 2: invalid JSON"),
        (
            '{"messages": [{"role": "user", "text": "x"}]}',
            None,
            "line 2: id: must be a non-empty string",
        ),
        ('{"id": "b", "messages": []}', "b", "line 2: messages: must be a non-empty list"),
        ('{"id": "b", "messages": [{"role": "robot", "text": "x"}]}', "b", "messages[0].role"),
        ('{"id": "b", "messages": [{"role": "user"}]}', "b", "messages[0].text: must be a string"),
        (
            '{"id": "b", "sub_agent": "ghost", "messages": [{"role": "user", "text": "x"}]}',
            "b",
            "sub_agent: 'ghost' is not defined",
        ),
        ("[1, 2]", None, "a case must be a JSON object"),
    ],
)
def test_bad_lines_get_an_error_line_and_exit_1_while_others_are_decided(
    line: str, error_id: str | None, fragment: str
) -> None:
    code, out, _ = run("detect", *CONFIG, stdin=f"{GOOD}\n{line}\n{GOOD}\n")
    assert code == 1
    assert len(out) == 3
    first, error, last = (json.loads(o) for o in out)
    assert first["status"] == last["status"] == "escalate"
    assert set(error) == {"id", "error"}
    assert error["id"] == error_id
    assert fragment in error["error"]


def test_an_invalid_config_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("workspace: x\nscope: {topics: [a]}\ntopics: {}\nescalaton: {}\nsub_agents: 1\n")
    code, out, err = run("detect", "--config", str(bad), stdin=GOOD)
    assert code == 2 and out == []
    problems = err.strip().splitlines()
    assert f"{bad}: escalaton: unknown key (did you mean 'escalation'?)" in problems
    assert f"{bad}: sub_agents: must be a mapping, got 1" in problems
    assert (
        f"{bad}: scope.topics[0]: topic 'a' is not defined; defined: none are defined" in problems
    )
    assert len(problems) == 3


def test_check_config_prints_ok_and_a_summary() -> None:
    code, out, _ = run("check-config", *CONFIG)
    assert code == 0 and out[0] == "ok"
    text = "\n".join(out)
    assert "sub agent returns: handoff collected" in text
    assert "order_number (order_number), email (email), return_reason (text)" in text
    assert "narrowing: not narrowed" in text


def test_check_config_reports_problems_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "w.yaml"
    bad.write_text("workspace: x\n")
    code, out, err = run("check-config", "--config", str(bad))
    assert code == 2 and out == []
    assert f"{bad}: scope: required key is missing" in err


def test_eval_reports_precision_recall_confusion_and_misses() -> None:
    code, out, _ = run("eval", *CONFIG, "--input", str(EXAMPLE_CASES))
    assert code == 0
    text = "\n".join(out)
    assert text.startswith("cases: 83  errors: 0")
    assert "confusion (rows expected, columns actual)" in text
    assert "status     precision  recall  support" in text


def test_eval_json_scores_both_label_shapes(tmp_path: Path) -> None:
    labelled = tmp_path / "l.jsonl"
    rows = [
        {
            "id": "c",
            "messages": [{"role": "user", "text": "Can I talk to a human?"}],
            "expect": {
                "status": "escalate",
                "signal": "user_request",
                "sub_agent": None,
                "target": "support",
            },
        },
        {
            "id": "d",
            "messages": [{"role": "user", "text": "get me an agent"}],
            "expect": {"escalate": True, "signal": "bot_handoff", "alt_signals": ["user_request"]},
        },
        {
            "id": "e",
            "messages": [{"role": "user", "text": "What size should I get?"}],
            "expect": {"escalate": True, "signal": "user_request"},
        },
    ]
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, _ = run("eval", *CONFIG, "--input", str(labelled), "--format", "json")
    report = json.loads("\n".join(out))
    assert code == 0
    assert report["total"] == 3 and report["exact"] == 2
    assert [m["id"] for m in report["misses"]] == ["e"]
    assert report["misses"][0]["expected"] == {"status": "escalate", "signal": "user_request"}
    assert report["confusion"] == {"escalate->escalate": 2, "escalate->none": 1}
    assert report["per_status"]["escalate"]["recall"] == pytest.approx(2 / 3, abs=1e-3)


def test_eval_reports_labels_it_cannot_read(tmp_path: Path) -> None:
    labelled = tmp_path / "l.jsonl"
    labelled.write_text(GOOD + "\n")
    code, out, err = run("eval", *CONFIG, "--input", str(labelled))
    assert "case a: expect: must be an object" in err
    assert out[0] == "cases: 0  errors: 1"
    assert code == 1
    labelled.write_text(GOOD[:-1] + ', "expect": {"escalate": "yes"}}\n')
    code, _, err = run("eval", *CONFIG, "--input", str(labelled))
    assert code == 1 and "expect.escalate: must be true or false" in err


def test_the_installed_console_script_runs_detect() -> None:
    script = shutil.which("handoff") or str(ROOT / ".venv" / "bin" / "handoff")
    if not Path(script).exists():
        pytest.skip("the handoff console script is not installed (run make install)")
    done = subprocess.run(
        [script, "detect", *CONFIG], input=GOOD, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["signal"] == "user_request"


def test_the_contract_schema_copy_is_current() -> None:
    original = SHARED / "contract" / "decision.schema.json"
    if not original.exists():
        pytest.skip("shared/contract is not beside this checkout")
    assert json.loads(original.read_text()) == json.loads(DECISION_SCHEMA.read_text())
