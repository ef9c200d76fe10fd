# SPDX-License-Identifier: MIT
"""Ctrl-C (SIGINT) during a long fit or propose: KeyboardInterrupt, files untouched, and the
next call runs normally. The delay between the signal and the exception is printed (run pytest
with -s to see it), not asserted: timings are for benchmarks."""

import json
import os
import signal
import threading
import time

import pandas as pd
import pytest

import matopt
from conftest import HISTORY, SPACE

# Far more GP restarts than any real use: minutes of work unless it is interrupted.
ENDLESS_GP = {"restarts": 5000}
# The campaign below fits on 4 rows, where one restart costs microseconds.
ENDLESS_SMALL_GP = {"restarts": 500000}


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own Ctrl-C handler, even when this process inherited SIGINT as ignored (a job started
    in the background by a non-interactive shell), which is where Ctrl-C would do nothing at all."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def interrupt_after(seconds):
    sent = {}

    def fire():
        sent["at"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(seconds, fire)
    timer.start()
    return timer, sent


def test_ctrl_c_stops_a_long_fit(steels, tmp_path):
    frame = pd.DataFrame({"composition": steels[0], "y": steels[1]})
    timer, sent = interrupt_after(0.5)
    with pytest.raises(KeyboardInterrupt):
        matopt.Model.train(frame, "y", model="gp", options=ENDLESS_GP)
    print(f"\nfit stopped {time.monotonic() - sent['at']:.3f} s after SIGINT")
    timer.join()
    # Nothing is left pending: the next call runs to the end.
    m = matopt.Model.train(frame.head(30), "y", model="gp")
    assert len(m.predict(frame.head(3))) == 3


def test_ctrl_c_stops_a_long_propose_and_leaves_the_campaign_file(tmp_path):
    (tmp_path / "history.csv").write_text(HISTORY)
    c = matopt.Campaign.create(tmp_path / "c.h5", SPACE, history=tmp_path / "history.csv", seed=1)
    before = (tmp_path / "c.h5").read_bytes()
    timer, sent = interrupt_after(0.5)
    with pytest.raises(KeyboardInterrupt):
        c.propose(batch=2, model_options=ENDLESS_SMALL_GP, min_measurements=4)  # fit on the 4 history rows
    print(f"\npropose stopped {time.monotonic() - sent['at']:.3f} s after SIGINT")
    timer.join()
    assert (tmp_path / "c.h5").read_bytes() == before
    assert c.propose(batch=2, strategy="random")["id"].tolist() == ["r001-01", "r001-02"]
