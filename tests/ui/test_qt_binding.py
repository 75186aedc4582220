"""Guards against a Qt binding that corrupts reference counts when signals cross threads
(PySide6 6.12.0 does: None/True get deallocated and the interpreter aborts mid-training).
Run in a fresh interpreter so that nothing else moves the counts."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import gc, sys
    from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

    class Emitter(QObject):
        sig = Signal(object)
        done = Signal()

        @Slot()
        def run(self):
            for _ in range(20000):
                self.sig.emit({"a": None, "b": True, "c": (None, False)})
            self.done.emit()

    class Receiver(QObject):
        count = 0

        @Slot(object)
        def got(self, payload):
            self.count += 1
            if self.count == 20000:
                app.quit()

    app = QCoreApplication([])
    gc.collect()
    before = (sys.getrefcount(None), sys.getrefcount(True))
    thread, emitter, receiver = QThread(), Emitter(), Receiver()
    emitter.moveToThread(thread)
    emitter.sig.connect(receiver.got)
    thread.started.connect(emitter.run)
    thread.start()
    app.exec()
    thread.quit()
    thread.wait()
    gc.collect()
    after = (sys.getrefcount(None), sys.getrefcount(True))
    print(receiver.count, before[0] - after[0], before[1] - after[1])
""")


def test_cross_thread_signals_keep_reference_counts():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    count, lost_none, lost_true = map(int, out.stdout.split())
    assert count == 20000
    # A binding that drops a reference per emit loses ~20,000; immortal objects
    # (Python 3.12+) do not move at all.
    assert lost_none < 500 and lost_true < 500, out.stdout
