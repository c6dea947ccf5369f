"""Invalid playbooks fail with the file, the key and the reason."""

import shutil

import pytest

from webcare.cli import main
from webcare.playbooks import bundled_dir, load_dir
from webcare.settings import SettingsError


def folder_with(tmp_path, name, text):
    shutil.copytree(bundled_dir(), tmp_path / "pb", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (tmp_path / "pb" / name).write_text(text)
    return tmp_path / "pb"


@pytest.mark.parametrize("text, expected", [
    ('name = "x"\ntrigger = "earthquake"\n', "broken.toml: trigger: expected one of pile_up, repeat_contact, response_target, storm, urgent"),
    ('name = "x"\ntrigger = "storm"\n[storm]\nmin_count = "many"\n',
     "broken.toml: storm.min_count: expected a whole number, got string 'many'"),
    ('name = "x"\ntrigger = "storm"\nseverity = "apocalyptic"\n', "broken.toml: severity: expected one of"),
    ('name = "x"\ntrigger = "storm"\n[[escalation]]\nnotify = ["lead"]\n',
     "broken.toml: escalation[0].after_minutes: missing required key"),
    ('name = "x"\ntrigger = "storm"\n[match]\nplatfroms = ["x"]\n', "broken.toml: match.platfroms: unknown key"),
    ('name = "x"\ntrigger = "storm"\n[repeat_contact]\ndays = 3\n', "broken.toml: repeat_contact: options for trigger"),
    ('name = "complaint-storm"\ntrigger = "storm"\n', "playbook name 'complaint-storm' is used by more than one file"),
    ('name = "x"\ntrigger = "storm"\n[storm\n', "broken.toml: not valid TOML"),
])
def test_problem_names_file_key_and_reason(tmp_path, text, expected):
    with pytest.raises(SettingsError) as err:
        load_dir(folder_with(tmp_path, "broken.toml", text))
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_check_config_reports_playbook_problems(tmp_path, capsys):
    pb = folder_with(tmp_path, "broken.toml", 'name = "x"\ntrigger = "storm"\n[storm]\nprior_days = -1\n')
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[engine]\nplaybooks_dir = "{pb.name}"\n')
    assert main(["check-config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "playbooks: broken.toml: storm.prior_days: expected at least 0" in err


def test_check_config_accepts_the_defaults(capsys):
    assert main(["check-config"]) == 0
    assert "complaint-storm" in capsys.readouterr().out
