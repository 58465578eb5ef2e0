"""Small HH-RLHF-like preference files (``prompt, chosen, rejected`` dialogues, no attribute
scores) for tests of the market on users' data."""

import json
from pathlib import Path

import numpy as np

TOPICS = (
    "bake bread",
    "fix a flat bicycle tyre",
    "learn to swim",
    "write a cover letter",
    "keep basil alive",
    "start running",
    "clean a cast iron pan",
    "sleep better",
    "save money on groceries",
    "tie a bowline knot",
)
STYLES = ("How do I {topic}?", "Any tips to {topic}?", "What is the best way to {topic}?")
GOOD = (
    " Here is a simple way to {topic}: start small, follow a clear routine and check your "
    "progress every few days.",
    " To {topic}, break it into steps, practise each one, and ask someone experienced to "
    "look at your results.",
)
POOR = (" I don't know.", " Why would you want to {topic}?", " Just figure it out yourself.")


def hh_records(n: int, seed: int = 0) -> list[dict]:
    """``n`` distinct records; the helpful answer is ``chosen`` in a random two thirds of them,
    so that the recorded choice is not always the longer answer."""
    rng = np.random.default_rng(seed)
    records = []
    for k in range(n):
        topic = TOPICS[k % len(TOPICS)]
        question = STYLES[(k // len(TOPICS)) % len(STYLES)].format(topic=topic)
        prompt = f"\n\nHuman: {question} (case {k})\n\nAssistant:"
        good = GOOD[k % len(GOOD)].format(topic=topic)
        poor = POOR[k % len(POOR)].format(topic=topic)
        chosen, rejected = (good, poor) if rng.random() < 2 / 3 else (poor, good)
        records.append({"prompt": prompt, "chosen": chosen, "rejected": rejected})
    return records


def write_jsonl(records: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path
