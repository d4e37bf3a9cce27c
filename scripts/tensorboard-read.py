#!/usr/bin/env python3
"""Reads a run folder's TensorBoard event file with TensorBoard's own reader (EventAccumulator)
and prints its scalars as JSON: {"tag": [[step, value], ...], ...}. The host tests compare the
output with metrics.csv (LiveMetricsTests); .ci/run installs tensorboard for it."""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

if len(sys.argv) != 2:
    sys.exit("usage: tensorboard-read.py RUN_FOLDER")
accumulator = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
accumulator.Reload()
print(json.dumps({tag: [[event.step, event.value] for event in accumulator.Scalars(tag)]
                  for tag in accumulator.Tags()["scalars"]}))
