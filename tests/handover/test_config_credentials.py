"""Acting for real needs each platform's API settings; dry run needs none."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation.policy import ConfigInvalid, load_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workspace.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ws.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_runs_in_dry_run_without_credentials(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("    bot_token: ACME_SLACK_BOT_TOKEN\n", "")
    assert load_policy(write(tmp_path, text)).model.handover.dry_run is True


def test_acting_for_real_names_every_missing_api_setting(tmp_path: Path) -> None:
    text = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("  dry_run: true", "  dry_run: false")
        .replace("    bot_token: ACME_SLACK_BOT_TOKEN\n", "")
        .replace('    admin_id: "814861"           # the admin Handoff acts as\n', "")
    )
    with pytest.raises(ConfigInvalid) as caught:
        load_policy(write(tmp_path, text))
    problems = "\n".join(caught.value.problems)
    assert "platforms.slack.bot_token: required to act on slack" in problems
    assert "platforms.intercom.admin_id: required to act on intercom" in problems
    assert "platforms.zendesk" not in problems


def test_handover_keys_are_validated_like_the_rest(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "  dry_run: true", "  dry_run: true\n  max_attemps: 3\n  note_language: klingon"
    )
    with pytest.raises(ConfigInvalid) as caught:
        load_policy(write(tmp_path, text))
    problems = "\n".join(caught.value.problems)
    assert "handover.max_attemps" in problems and "max_attempts" in problems
    assert "handover.note_language" in problems


def test_check_config_says_how_the_workspace_acts(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    dry = CliRunner().invoke(main, ["check-config", "--config", str(EXAMPLE)])
    assert dry.exit_code == 0
    assert (
        "actions: dry run on zendesk, intercom, slack (requests recorded, not sent)" in dry.output
    )
    live = write(
        tmp_path, EXAMPLE.read_text(encoding="utf-8").replace("dry_run: true", "dry_run: false")
    )
    result = CliRunner().invoke(main, ["check-config", "--config", str(live)])
    assert result.exit_code == 0
    assert (
        "actions: live on zendesk, intercom, slack; secrets it needs at run time: "
        "ACME_ZENDESK_API_TOKEN, ACME_INTERCOM_ACCESS_TOKEN, ACME_SLACK_BOT_TOKEN"
    ) in result.output
