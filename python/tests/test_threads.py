"""Threads: the interpreter is released for an ingest, and threads ingesting at once get what
one thread gets."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import userphoto
from conftest import TESTDATA, png

PHOTOS = [
    (TESTDATA / "portrait.jpg").read_bytes(),
    (TESTDATA / "progressive_422.jpg").read_bytes(),
    png(400, 300, alpha=True),
    (TESTDATA / "progressive_420_restarts.jpg").read_bytes(),
]


def rendered(data: bytes) -> list[tuple[str, str, bytes]]:
    return [(r.size, r.etag, r.data) for r in userphoto.ingest(data)]


def test_four_threads_at_once_give_what_one_gives() -> None:
    one = [rendered(photo) for photo in PHOTOS]
    jobs = PHOTOS * 4
    start = threading.Barrier(4)

    def after_all_started(photo: bytes) -> list[tuple[str, str, bytes]]:
        start.wait()
        return rendered(photo)

    with ThreadPoolExecutor(max_workers=4) as pool:
        four = list(pool.map(after_all_started, jobs[:4])) + list(pool.map(rendered, jobs[4:]))
    assert four == one * 4


def test_other_threads_run_during_an_ingest() -> None:
    """Another thread counts while this one ingests. The interpreter hands itself over only
    when released, or after the switch interval, which is made longer than the test: the count
    moves during the ingest only if the ingest releases the interpreter."""
    photo = (TESTDATA / "portrait.jpg").read_bytes()
    count = [0]
    stop = threading.Event()

    def counter() -> None:
        while not stop.is_set():
            count[0] += 1
            time.sleep(0)  # releases the interpreter: the other thread never waits long

    interval = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    thread = threading.Thread(target=counter)
    try:
        thread.start()
        while count[0] == 0:
            time.sleep(0.001)
        before = count[0]
        userphoto.ingest(photo)
        during = count[0] - before
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    assert during > 0
