"""The README says what a first run needs (issue 18, point 15)."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_no_html_entities_show_up_in_the_rendered_readme():
    assert re.findall(r"&(?:lt|gt|amp);", README) == []


def test_manage_py_commands_are_written_with_the_projects_python():
    bare = [
        line
        for line in README.splitlines()
        for match in re.finditer(r"(\S*)\s*manage\.py", line)
        if match.group(1) not in (".venv/bin/python", "`.venv/bin/python")
        and "virtualenv activated" not in line
    ]
    # The one sentence saying `python manage.py` is the same in an activated virtualenv.
    plain = [line for line in README.splitlines() if re.search(r"`python manage\.py", line)]

    assert bare == []
    assert len(plain) == 1 and "activated" in plain[0]


def test_the_readme_names_what_the_first_run_and_the_bench_depend_on():
    for words in (
        "`HOST`",
        "`PORT`",
        "`BENCH_REDIS_DB` (default **12**)",
        "(**13**)",
        "single-use",
        "30-second window",
        "3 digits, 4 for Amex",
        "sk_live_",
        "deselected",
        "tiers skipped",
        "sandbox inbox",
    ):
        assert words in README, words
    assert "any CVC work" not in README and "sandbox outbox" not in README.lower()
