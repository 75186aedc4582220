"""The generator worker: parts reach the GUI thread (the newest when the GUI is busy,
the last never dropped), cancel stops at the next part and closes the generator in
its own thread, errors arrive as one message, and a deleted receiver gets nothing."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QLabel

from studio.core.sampling import CancelToken
from studio.ui.stream_worker import GeneratorWorker, run_stream


def test_parts_arrive_on_the_gui_thread_and_the_last_is_final(qtbot):
    gui = QThread.currentThread()
    seen: list[tuple[int, bool]] = []
    ends: list = []

    def count(token):
        yield from range(200)

    worker = run_stream(
        count,
        on_part=lambda v: seen.append((v, QThread.currentThread() is gui)),
        on_done=ends.append,
    )
    qtbot.waitUntil(lambda: bool(ends), timeout=60_000)
    assert ends == [199] and seen[-1] == (199, True)
    assert all(on_gui for _, on_gui in seen)
    values = [v for v, _ in seen]
    assert values == sorted(set(values))  # in order, none twice (some may be coalesced)
    assert not worker.is_running


def test_a_busy_gui_sees_the_newest_part_only(qtbot):
    release = threading.Event()
    produced = threading.Event()
    seen: list[int] = []
    ends: list = []

    def parts(token):
        yield 0
        release.wait(60)  # the GUI thread shows part 0 before more come
        yield from range(1, 50)
        produced.set()

    def on_part(v):
        seen.append(v)
        if v == 0:
            release.set()
            produced.wait(60)  # busy while all the others are made

    run_stream(parts, on_part=on_part, on_done=ends.append)
    qtbot.waitUntil(lambda: bool(ends), timeout=60_000)
    assert seen == [0, 49] and ends == [49]


def test_quit_aborts_at_the_next_part_and_closes_the_generator(qtbot):
    closed_in: list = []
    started = threading.Event()
    outcome: list[str] = []

    def endless(token):
        try:
            i = 0
            while True:
                started.set()
                yield i
                i += 1
        finally:
            closed_in.append(threading.current_thread())

    worker = GeneratorWorker(endless)
    worker.aborted.connect(lambda: outcome.append("aborted"))
    worker.finished.connect(lambda v: outcome.append("finished"))
    worker.start()
    assert started.wait(60)
    worker.quit()
    assert worker.abort_requested
    qtbot.waitUntil(lambda: bool(outcome), timeout=60_000)
    assert outcome == ["aborted"]
    assert closed_in and closed_in[0] is not threading.main_thread()


def test_the_generator_sees_the_token_and_cancel_raises_inside(qtbot):
    token = CancelToken()
    outcome: list[str] = []

    def checks(t):
        assert t is token
        while True:
            t.raise_if_cancelled()  # as a trainer does between its own parts
            yield None

    run_stream(checks, on_cancelled=lambda: outcome.append("cancelled"), token=token)
    token.cancel()
    qtbot.waitUntil(lambda: bool(outcome), timeout=60_000)
    assert outcome == ["cancelled"]


def test_an_error_is_one_message_with_details(qtbot):
    errors: list = []

    def broken(token):
        yield 1
        raise ValueError("the model broke")

    run_stream(broken, on_error=lambda m, d: errors.append((m, d)))
    qtbot.waitUntil(lambda: bool(errors), timeout=60_000)
    message, details = errors[0]
    assert message == "ValueError: the model broke" and "Traceback" in details


def test_a_deleted_receiver_gets_nothing(qtbot):
    label = QLabel()
    gate = threading.Event()
    done = threading.Event()

    def parts(token):
        gate.wait(60)
        yield "late"
        done.set()

    worker = run_stream(parts, on_part=label.setText)
    label.deleteLater()
    qtbot.waitUntil(lambda: not _alive(label), timeout=60_000)
    gate.set()
    assert done.wait(60)
    qtbot.waitUntil(lambda: not worker.is_running, timeout=60_000)  # no crash on delivery


def _alive(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)
