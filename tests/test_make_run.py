"""`make run`'s supervisor: a crashed worker or beat comes back; the web server ending ends all."""

import importlib.util
import sys
import time

from tests.test_configuration_defaults import ROOT

_spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
run_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_script)


def _supervisor(**commands):
    return run_script.Supervisor(
        {name: [sys.executable, "-c", code] for name, code in commands.items()},
        restarted=("worker",),
        delays=(0,),
    )


def _run_until(supervisor, condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ended = supervisor.check(time.monotonic())
        if ended or condition():
            return ended
        time.sleep(0.05)
    raise AssertionError("condition not met")


def test_a_crashed_worker_is_started_again_and_the_others_keep_running(capsys):
    supervisor = _supervisor(web="import time; time.sleep(30)", worker="import sys; sys.exit(3)")
    supervisor.start_all()
    try:
        ended = _run_until(supervisor, lambda: supervisor.restarts["worker"] >= 2)
        web_alive = supervisor.procs["web"].poll() is None
    finally:
        supervisor.stop()

    assert ended is None
    assert web_alive
    assert "worker ended (exit 3); starting it again" in capsys.readouterr().out


def test_the_web_server_ending_ends_the_run():
    supervisor = _supervisor(web="import sys; sys.exit(1)", worker="import time; time.sleep(30)")
    supervisor.start_all()
    try:
        ended = _run_until(supervisor, lambda: False)
    finally:
        supervisor.stop()

    assert ended == "web"
    assert supervisor.procs["worker"].poll() is not None  # stopped with the rest
