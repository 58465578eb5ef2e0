"""Output folders: refused before work when unwritable, swapped safely, recovered after a kill."""

import os
import stat
import subprocess
import sys
import textwrap

import pytest

from sim.experiments import output
from sim.experiments.output import OutputDirError, check_output_dir, recover_staging, staged_dir


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def hidden_entries(parent, name):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def test_new_folder_appears_whole_with_the_umask_mode(tmp_path):
    previous = os.umask(0o022)
    try:
        with staged_dir(tmp_path / "out", overwrite=False) as staging:
            (staging / "a.txt").write_text("new")
    finally:
        os.umask(previous)
    out = tmp_path / "out"
    assert (out / "a.txt").read_text() == "new"
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert hidden_entries(tmp_path, "out") == []


@pytest.mark.parametrize("atomic_exchange", [True, False])
def test_overwrite_replaces_the_old_folder_and_leaves_nothing_hidden(
    tmp_path, monkeypatch, atomic_exchange
):
    if not atomic_exchange:
        monkeypatch.setattr(output, "_exchange", lambda first, second: False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with staged_dir(out, overwrite=True) as staging:
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert hidden_entries(tmp_path, "out") == []


def test_a_folder_filled_meanwhile_is_not_replaced_and_our_results_are_kept(tmp_path):
    out = tmp_path / "out"
    with (
        pytest.raises(OutputDirError, match="filled by another run") as caught,
        staged_dir(out, overwrite=False) as staging,
    ):
        (staging / "ours.txt").write_text("ours")
        out.mkdir()
        (out / "theirs.txt").write_text("theirs")
    assert (out / "theirs.txt").read_text() == "theirs"
    kept = out.with_name(f"out.conflict-{os.getpid()}")
    assert str(kept) in str(caught.value)
    assert (kept / "ours.txt").read_text() == "ours"


def test_a_failure_inside_leaves_the_old_folder_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), staged_dir(out, overwrite=True) as staging:
        (staging / "half.txt").write_text("half")
        raise RuntimeError("killed midway")
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]
    assert hidden_entries(tmp_path, "out") == []


def test_a_killed_writers_staging_folder_is_cleaned_by_the_next_run(tmp_path):
    stale = tmp_path / f".out.stage-{dead_pid()}-0badc0de"
    stale.mkdir()
    (stale / "partial.parquet").write_text("half")
    with staged_dir(tmp_path / "out", overwrite=False) as staging:
        (staging / "a.txt").write_text("new")
    assert hidden_entries(tmp_path, "out") == []


def test_killed_between_the_two_renames_the_old_results_come_back(tmp_path):
    parked = tmp_path / f".out.old-{dead_pid()}-0badc0de"
    parked.mkdir()
    (parked / "old.txt").write_text("old")
    recover_staging(tmp_path / "out")
    assert (tmp_path / "out" / "old.txt").read_text() == "old"
    assert hidden_entries(tmp_path, "out") == []


def test_a_live_writers_folders_are_left_alone(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = tmp_path / f".out.stage-{sleeper.pid}-0badc0de"
        busy.mkdir()
        recover_staging(tmp_path / "out")
        assert busy.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_kill_9_while_writing_keeps_the_old_results_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    script = textwrap.dedent(
        f"""
        import time
        from sim.experiments.output import staged_dir
        with staged_dir({str(out)!r}, overwrite=True) as staging:
            (staging / "half.txt").write_text("half")
            print("writing", flush=True)
            time.sleep(60)
        """
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert writer.stdout.readline().strip() == "writing"
    writer.kill()
    writer.wait()
    assert (out / "old.txt").read_text() == "old"
    assert len(hidden_entries(tmp_path, "out")) == 1
    with staged_dir(out, overwrite=True) as staging:
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert hidden_entries(tmp_path, "out") == []


@pytest.mark.parametrize("where", ["under_a_file", "proc"])
def test_unwritable_out_is_refused_before_any_work(tmp_path, where):
    if where == "under_a_file":
        (tmp_path / "afile").write_text("x")
        target = tmp_path / "afile" / "sub"
    else:
        target = "/proc/prefmarket-out"
    with pytest.raises(OutputDirError, match=r"^out: cannot write"):
        check_output_dir(target, overwrite=False)


def test_a_missing_parent_folder_is_created(tmp_path):
    target = tmp_path / "out" / "demo"
    assert check_output_dir(target, overwrite=False) == target
    assert target.parent.is_dir() and not target.exists()
