"""A sweep oscilloscope of the agent: actions, exploration noise and Q(s, mu(s)) per step.

The picture is drawn with numpy into a uint8 BGR image (OpenCV's channel order); OpenCV
only shows it (``window``) or encodes it (``file``: PNG snapshots and an MP4 video).

Each trace has a lane of its own with a centre line and a grid. Every environment step
paints one column at a cursor that wraps around; ``add`` touches only that column, O(height).
The phosphor look (older columns dimmer, a dark gap ahead of the cursor), the grid and the
legend are composited in ``frame``, which runs only when a frame is shown or recorded; in
``file`` mode a writer thread composites and encodes, so the training loop only copies the
raw sweep (OpenCV and numpy release the GIL while they work).
"""
from __future__ import annotations

import math
import os
import queue
import sys
import threading
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import opencv

# BGR colours, one per trace, cycled
PALETTE = np.array([
    (80, 220, 255),   # amber
    (120, 255, 120),  # green
    (255, 170, 90),   # blue
    (200, 120, 255),  # pink
    (90, 255, 255),   # yellow
    (255, 255, 120),  # cyan
], np.uint8)
Q_COLOUR = np.array((255, 200, 60), np.uint8)
GRID = np.array((40, 40, 40), np.uint8)
CENTRE = np.array((80, 80, 80), np.uint8)
LEGEND_HEIGHT = 18
MARGIN = 4


class Oscilloscope:
    """Traces ``labels[k]`` over ``ranges[k]`` = (low, high), or None for an auto range."""

    def __init__(self, labels: Sequence[str], ranges: Sequence[Optional[Tuple[float, float]]],
                 width: int = 600, lane_height: int = 80, colours=None, gap: int = 6,
                 dimmest: float = 0.25):
        self.labels = list(labels)
        self.n = len(self.labels)
        self.width, self.lane_height, self.gap, self.dimmest = width, lane_height, gap, dimmest
        self.height = lane_height * self.n
        self.colours = (np.asarray(colours, np.uint8) if colours is not None
                        else PALETTE[np.arange(self.n) % len(PALETTE)])
        self.fixed = [r is not None for r in ranges]
        self._bounds = [(float(r[0]), float(r[1])) if r is not None else (math.inf, -math.inf)
                        for r in ranges]
        self._tops = [k * lane_height + MARGIN for k in range(self.n)]
        self._rows_per_lane = lane_height - 2 * MARGIN - 1
        self._colour_rows = [self.colours[k] for k in range(self.n)]
        self.raw = np.zeros((self.height, width, 3), np.uint8)
        self.cursor = 0  # the column the next step paints
        self._last_rows = [-1] * self.n  # the row each trace reached last (-1: none)
        self.steps = 0
        self._background = self._draw_background()
        self._legend = _render_legend(self.labels, self.colours, width)
        self._columns = np.arange(width)

    def row_of(self, k: int, value: float) -> int:
        """The image row of ``value`` in lane ``k`` (the lane's top is ``high``)."""
        low, high = self._bounds[k]
        span = high - low if math.isfinite(high - low) and high > low else 1.0
        centre = (high + low) / 2 if math.isfinite(high + low) else 0.0
        t = min(max(0.5 + (value - centre) / span, 0.0), 1.0)
        return self._tops[k] + int(round((1.0 - t) * self._rows_per_lane))

    def add(self, values: Sequence[float]) -> None:
        """Paints one column: each trace from its last row to its new one. (Plain Python on
        scalars: for a handful of traces that beats numpy's per-call overhead.)"""
        col = self.cursor
        column = self.raw[:, col]
        column[:] = 0
        last_rows = self._last_rows
        for k in range(self.n):
            value = float(values[k])
            if not math.isfinite(value):  # e.g. no Q during random warm-up: a break in the trace
                last_rows[k] = -1
                continue
            if not self.fixed[k]:
                low, high = self._bounds[k]
                if value < low or value > high:
                    self._bounds[k] = (min(low, value), max(high, value))
            row = self.row_of(k, value)
            last = last_rows[k] if last_rows[k] >= 0 else row
            column[min(last, row):max(last, row) + 1] = self._colour_rows[k]
            last_rows[k] = row
        self.cursor = (col + 1) % self.width
        self.steps += 1

    @property
    def ranges(self) -> np.ndarray:
        """[n, 2] (low, high) of each lane; auto-ranged lanes widen as values arrive."""
        return np.array(self._bounds, float)

    @property
    def last_rows(self) -> np.ndarray:
        return np.array(self._last_rows)

    def frame(self, raw: np.ndarray = None, cursor: int = None) -> np.ndarray:
        """The display image [LEGEND_HEIGHT + height, width, 3] uint8, BGR: of the current
        sweep, or of a copy of ``raw`` taken when the cursor was at ``cursor``."""
        raw = self.raw if raw is None else raw
        cursor = self.cursor if cursor is None else cursor
        age = (cursor - 1 - self._columns) % self.width  # 0: newest column
        brightness = 1.0 - (1.0 - self.dimmest) * age / self.width
        brightness[(self._columns - cursor) % self.width < self.gap] = 0.0
        # integer fade: pixel * round(256 * brightness) >> 8
        weight = np.round(256 * brightness).astype(np.uint16)[None, :, None]
        faded = np.multiply(raw, weight, dtype=np.uint16)
        np.right_shift(faded, 8, out=faded)
        out = np.empty((LEGEND_HEIGHT + self.height, self.width, 3), np.uint8)
        out[:LEGEND_HEIGHT] = self._legend
        np.maximum(self._background, faded, out=out[LEGEND_HEIGHT:], casting="unsafe")
        return out

    def _draw_background(self) -> np.ndarray:
        image = np.zeros((self.height, self.width, 3), np.uint8)
        image[:, ::50] = GRID
        for k in range(self.n):
            top = k * self.lane_height
            image[top + self.lane_height // 4: top + self.lane_height: self.lane_height // 4] = GRID
            image[top + self.lane_height // 2] = CENTRE
            image[top] = CENTRE
        return image

    # -- resume ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"raw": self.raw.copy(), "cursor": self.cursor, "last_rows": self.last_rows,
                "ranges": self.ranges, "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.raw[...] = state["raw"]
        self.cursor, self.steps = int(state["cursor"]), int(state["steps"])
        self._last_rows = [int(r) for r in np.asarray(state["last_rows"])]
        self._bounds = [(float(low), float(high)) for low, high in np.asarray(state["ranges"], float)]


def _render_legend(labels: List[str], colours: np.ndarray, width: int) -> np.ndarray:
    """A strip with each label in its trace's colour (rasterised once, with Pillow)."""
    image = Image.new("RGB", (width, LEGEND_HEIGHT), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    x = 6
    for label, (b, g, r) in zip(labels, colours.tolist()):
        draw.rectangle([x, 6, x + 8, 12], fill=(r, g, b))
        draw.text((x + 12, 3), label, fill=(r, g, b), font=font)
        x += 20 + int(draw.textlength(label, font=font))
    return np.asarray(image)[:, :, ::-1].copy()  # RGB -> BGR


class ScopeSink:
    """Shows or records the frames of an ``Oscilloscope`` every ``every`` steps.

    ``window``: a non-blocking OpenCV window; closing it stops the display, not the training.
    ``file``: ``video`` (MP4) gets every frame; PNG snapshots go to ``directory`` every
    ``png_every`` steps (0: only at ``close``). A writer thread composites and encodes them
    from copies of the sweep; ``close`` waits for it, and an error it met (say, a full disk)
    is raised in the training thread at the next frame or at ``close``. A window with no
    display to open on falls back to ``file`` with one warning line.
    """

    VIDEO = "video"  # a job's target: the MP4, else a PNG path

    def __init__(self, scope: Oscilloscope, mode: str, directory: str, every: int = 10,
                 png_every: int = 0, video_name: str = "scope.mp4", title: str = "ddpg_graph"):
        self.scope, self.every, self.png_every = scope, max(1, every), png_every
        self.directory, self.title = directory, title
        self.frames_shown = self.frames_written = 0
        self.window_closed = False
        self._video = None
        if mode == "window" and not has_display():
            print("warning: no display for the oscilloscope window; writing it to files in "
                  f"{directory} instead", file=sys.stderr)
            mode = "file"
        self.mode = mode
        self.video_path = os.path.join(directory, video_name) if mode == "file" else None
        self._jobs: Optional[queue.Queue] = None
        self._writer: Optional[threading.Thread] = None
        self._error: Optional[BaseException] = None  # the writer's, not yet raised
        self._failed = False  # the writer met an error: it writes nothing more
        if mode == "file":
            self._jobs = queue.Queue(maxsize=4)  # full: the training loop waits, no frame lost
            self._writer = threading.Thread(target=self._write_jobs, name="scope-writer",
                                            daemon=True)
            self._writer.start()

    def step(self) -> None:
        """Called after each ``scope.add``."""
        steps = self.scope.steps
        if steps % self.every == 0:
            if self.mode == "window":
                self._show()
            elif self.mode == "file":
                self._submit(self.VIDEO)
        if self.mode == "file" and self.png_every and steps % self.png_every == 0:
            self.snapshot()

    def _show(self) -> None:
        if self.window_closed:
            return
        cv2 = opencv.cv2()
        if self.frames_shown and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            self.window_closed = True  # the user closed it: training goes on without it
            return
        cv2.imshow(self.title, self.scope.frame())
        cv2.waitKey(1)
        self.frames_shown += 1

    def _submit(self, target: str) -> None:
        self._raise_writer_error()
        self._jobs.put((target, self.scope.raw.copy(), self.scope.cursor))

    def _raise_writer_error(self) -> None:
        """Raises, once, the error the writer thread met."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _write_jobs(self) -> None:
        """The writer thread: composites and writes each job until it gets ``None``."""
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._failed:
                continue  # keep draining so that the training thread never blocks
            target, raw, cursor = job
            try:
                self._write(target, self.scope.frame(raw, cursor))
            except BaseException as exc:  # handed to the training thread
                self._error, self._failed = exc, True

    def _write(self, target: str, frame: np.ndarray) -> None:
        cv2 = opencv.cv2()
        os.makedirs(self.directory, exist_ok=True)
        if target != self.VIDEO:
            if not cv2.imwrite(target, frame):
                raise OSError(f"could not write {target}")
            return
        if self._video is None:
            height, width = frame.shape[:2]
            self._video = cv2.VideoWriter(self.video_path, cv2.VideoWriter_fourcc(*"mp4v"),
                                          30.0, (width, height))
        self._video.write(frame)
        self.frames_written += 1

    def snapshot(self, name: str = None) -> str:
        """Writes the current sweep as a PNG (by the writer thread while it runs: the file is
        there after ``close``); returns its path."""
        path = os.path.join(self.directory, name or f"scope-step{self.scope.steps:09d}.png")
        if self._writer is not None and self._writer.is_alive():
            self._submit(path)
        else:
            self._write(path, self.scope.frame())
        return path

    def describe(self) -> str:
        if self.mode == "window":
            closed = " (then the window was closed)" if self.window_closed else ""
            return f"oscilloscope: {self.frames_shown} frames shown{closed}"
        return (f"oscilloscope: {self.frames_written} frames written to {self.video_path}, "
                f"last frame {os.path.join(self.directory, 'scope-last.png')}")

    def close(self) -> None:
        if self._writer is not None:
            self._jobs.put(None)
            self._writer.join()
            self._writer = None
        try:
            if self.mode == "file" and not self._failed:
                self.snapshot("scope-last.png")
        finally:
            if self._video is not None:
                self._video.release()
                self._video = None
        self._raise_writer_error()
        if self.mode == "window" and self.frames_shown and not self.window_closed:
            cv2 = opencv.cv2()
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)


def has_display() -> bool:
    """Whether a window can open: on Linux a DISPLAY or WAYLAND_DISPLAY must be set."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True
