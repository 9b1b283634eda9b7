"""The oscilloscope: pixels where the traces must be, wrap-around, files, the real window."""
import os
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from conftest import REPO, decode_video
from ddpg_graph.oscilloscope import LEGEND_HEIGHT, MARGIN, Oscilloscope, ScopeSink

LANE = 80


def expected_row(lane, value, low, high):
    t = (value - low) / (high - low)
    return lane * LANE + MARGIN + int(round((1 - t) * (LANE - 2 * MARGIN - 1)))


def make_scope(width=120):
    return Oscilloscope(["action 0", "noise 0", "Q"], [(-2, 2), (-1, 1), (-100, 0)],
                        width=width, lane_height=LANE, dimmest=0.25)


def test_each_trace_has_its_colour_at_the_expected_rows():
    scope = make_scope()
    actions = np.linspace(-2, 2, 30)
    noises = np.linspace(1, -1, 30)
    qs = np.full(30, -25.0)
    for values in zip(actions, noises, qs):
        scope.add(values)
    frame = scope.frame()
    assert frame.shape == (LEGEND_HEIGHT + 3 * LANE, 120, 3) and frame.dtype == np.uint8
    body = frame[LEGEND_HEIGHT:]
    newest = 29
    for column in (5, 17, newest):
        brightness = 1 - 0.75 * (newest - column) / 120
        for lane, (value, low, high) in enumerate([(actions[column], -2, 2),
                                                    (noises[column], -1, 1),
                                                    (qs[column], -100, 0)]):
            row = expected_row(lane, value, low, high)
            expected = scope.colours[lane] * brightness
            np.testing.assert_allclose(body[row, column], expected, atol=1, err_msg=(lane, column))
            lane_rows = body[lane * LANE + 1:(lane + 1) * LANE, column].astype(float)
            is_trace = (np.abs(lane_rows - expected) <= 1).all(axis=1)
            coloured = np.where(is_trace)[0] + lane * LANE + 1
            assert row in coloured and coloured.min() >= row - 3 and coloured.max() <= row + 3
    # Q sits on its lane's quarter line from the top; extremes clip to the lane's edges
    assert expected_row(2, -25, -100, 0) == 2 * LANE + MARGIN + 18
    assert (body[:, 40:] == frame[LEGEND_HEIGHT:, 40:]).all()
    assert body[:, 40 + 6:].max() <= 80  # not yet drawn: only grid and centre lines


def test_sweep_wraps_around_and_keeps_the_gap():
    width = 50
    scope = make_scope(width)
    for i in range(width + 7):
        scope.add([2.0 if i >= width else -2.0, 0.0, -50.0])
    assert scope.cursor == 7 and scope.steps == width + 7
    body = scope.frame()[LEGEND_HEIGHT:]
    top, bottom = expected_row(0, 2.0, -2, 2), expected_row(0, -2.0, -2, 2)
    for column in range(1, 7):  # the new sweep, at the top of the lane
        assert tuple(body[top, column]) != (0, 0, 0) and body[bottom, column].max() <= 80
    for column in range(7, 13):  # the dark gap ahead of the cursor
        assert body[bottom, column].max() <= 80
    assert tuple(body[bottom, 20]) != (0, 0, 0)  # the old sweep, faded but there
    assert body[bottom, 20].max() < scope.colours[0].max()


def test_auto_range_and_breaks():
    scope = Oscilloscope(["Q"], [None], width=20, lane_height=LANE)
    for q in (-10.0, float("nan"), -30.0, -20.0):
        scope.add([q])
    assert tuple(scope.ranges[0]) == (-30.0, -10.0)
    assert scope.raw[:, 1].max() == 0  # nothing drawn for NaN


def test_drawing_a_column_touches_only_that_column():
    scope = make_scope(200)
    for i in range(10):
        scope.add([np.sin(i), 0.1, -10])
    before = scope.raw.copy()
    scope.add([1.0, -0.5, -90])
    changed = np.where((scope.raw != before).any(axis=(0, 2)))[0]
    assert changed.tolist() == [10]


def test_file_mode_writes_readable_png_and_mp4(tmp_path):
    scope = make_scope(160)
    sink = ScopeSink(scope, "file", str(tmp_path), every=2, png_every=25)
    expected = {}
    for i in range(100):
        scope.add([np.sin(i / 9), np.cos(i / 3) / 2, -50 + 30 * np.sin(i / 20)])
        sink.step()
        if scope.steps == 50:
            expected = scope.frame()
    sink.close()
    # written by the writer thread from the sweep as it was at step 50, not later
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "scope-step000000050.png")), expected)
    frames, _ = decode_video(tmp_path / "scope.mp4")
    assert len(frames) == 50 == sink.frames_written
    assert all(frame.shape == (LEGEND_HEIGHT + 3 * LANE, 160, 3) for frame in frames)
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["scope-last.png", "scope-step000000025.png", "scope-step000000050.png",
                    "scope-step000000075.png", "scope-step000000100.png"]
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "scope-last.png")), scope.frame())


def test_window_without_display_falls_back_to_files(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    sink = ScopeSink(make_scope(), "window", str(tmp_path))
    assert sink.mode == "file"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: no display")


@pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xwininfo") is None,
                    reason="needs Xvfb and xwininfo (apt-get install xvfb x11-utils)")
def test_window_mode_under_xvfb(tmp_path):
    display = ":97"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        run_dir = str(tmp_path / "run")
        train = subprocess.Popen(
            [sys.executable, "-m", "ddpg_graph", "train", "--preset", "canton", "--scope", "window",
             "--total-steps", "1500", "--logdir", run_dir, "--no-progress",
             "--set", "scope_every=5", "--set", "eval_every_steps=0"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = False
        deadline = time.time() + 120
        while train.poll() is None and time.time() < deadline:
            tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                                  text=True).stdout
            seen = seen or "ddpg_graph: canton" in tree
            time.sleep(0.2)
        out, err = train.communicate(timeout=60)
        assert train.returncode == 0, err
        assert seen, "the scope window never appeared"
        assert "oscilloscope: 300 frames shown" in out
        with open(os.path.join(run_dir, "history.csv")) as f:
            assert sum(1 for _ in f) == 1 + 7  # training went on: 7 full episodes
    finally:
        xvfb.terminate()
        xvfb.wait()


def test_a_write_error_reaches_the_training_thread(tmp_path):
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    scope = make_scope()
    sink = ScopeSink(scope, "file", str(blocker), every=1)
    with pytest.raises(OSError):
        for _ in range(50):  # the writer fails on the first frame; a later step raises
            scope.add([0.0, 0.0, -10.0])
            sink.step()
            time.sleep(0.01)
        sink.close()


def test_a_scope_write_error_stops_the_run_with_one_clear_error(tmp_path, monkeypatch):
    import errno
    from conftest import small_config
    from ddpg_graph.errors import RunError
    from ddpg_graph.runner import Trainer

    def full_disk(self, target, frame):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ScopeSink, "_write", full_disk)
    config = small_config(env_id="Pendulum-v1", total_steps=400, batch_size=8, learning_starts=8,
                          buffer_size=500, eval_every_steps=0, checkpoint_every_steps=200, scope="file",
                          scope_every=5)
    trainer = Trainer(config, str(tmp_path / "run"), progress=False)
    with pytest.raises(RunError, match="No space left.*; no checkpoint was written before it; run again with --scope off$"):
        trainer.run()
    trainer.close()  # the error was reported once; closing does not raise it again
