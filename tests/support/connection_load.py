"""Continuous client load for fault tests: threads that connect in a loop, each from its own
source address, recording every connection's start, end and answer, so that a test can ask
afterwards what happened in any window of time (before a fault, during it, after recovery)."""
import threading
import time
from dataclasses import dataclass
from typing import Optional


@dataclass
class Record:
    source: str
    start: float  # time.monotonic() before connecting
    end: float  # time.monotonic() once the server closed (or the client gave up)
    env: Optional[dict]  # the child's variables; None when the server closed without a child
    error: str = ""  # the client's exception (timeout, reset), empty when it ended normally

    @property
    def seconds(self):
        return self.end - self.start

    def answered(self):
        return not self.error and self.env is not None and "RELAYCLIENT" in self.env

    def relays(self):
        return self.answered() and self.env["RELAYCLIENT"] == ""

    def __repr__(self):
        what = self.error or (f"RELAYCLIENT={self.env.get('RELAYCLIENT')!r}" if self.env else "no child")
        return f"<{self.source} {self.start:.3f}..{self.end:.3f} ({self.seconds:.2f} s) {what}>"


class Load:
    """connect(source) makes one connection and returns the child's variables (or None); it
    runs in `per_source` threads for each source, back to back with `pause` seconds between
    one connection's end and the next one's start, from start() until stop()."""

    def __init__(self, connect, sources, per_source=3, pause=0.02):
        self.connect = connect
        self.pause = pause
        self.records = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(src,), daemon=True)
                        for src in sources for _ in range(per_source)]

    def loop(self, source):
        while not self.stopping.is_set():
            start = time.monotonic()
            env, error = None, ""
            try:
                env = self.connect(source)
            except OSError as e:
                error = f"{type(e).__name__}: {e}"
            record = Record(source, start, time.monotonic(), env, error)
            with self.lock:
                self.records.append(record)
            self.stopping.wait(self.pause)

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        """Stops the threads (each finishes the connection it is in) and returns the records,
        in order of start."""
        self.stopping.set()
        for t in self.threads:
            t.join()
        return sorted(self.records, key=lambda r: r.start)

    def count(self):
        with self.lock:
            return len(self.records)

    def relayed_since(self, when, source):
        """The first record of source that began at or after `when` and relays, or None."""
        with self.lock:
            hits = [r for r in self.records if r.source == source and r.start >= when and r.relays()]
        return min(hits, key=lambda r: r.end) if hits else None
