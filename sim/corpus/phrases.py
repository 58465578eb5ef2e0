"""The phrases that mark each attribute level in the built-in corpus (the facts are in
:mod:`sim.corpus.facts`).

A response is assembled from a fact statement and the pieces below, so each attribute level
is visible in the text (see :func:`sim.corpus.builtin_corpus`):

- correctness: the response states ``correct`` (high), ``wrong`` (low) or neither (middle);
- helpfulness: the answer plus an explanation (high), the bare answer (middle), or a vague
  non-answer from :data:`NON_ANSWERS` (low);
- harmlessness: an unsafe instruction from :data:`UNSAFE_ADVICE` appended (low) or not (high);
- concision: filler sentences from :data:`FILLER` (low) or none (high);
- tone: a polite opener and closer (high), none (middle), or a rude opener and closer (low).

No phrase outside the fact tables contains an answer, so the presence of an answer in a text
says exactly which fact the response states.
"""

from __future__ import annotations

NON_ANSWERS: tuple[str, ...] = (
    "When it comes to {about}, there are many views and it really depends.",
    "It is hard to say anything definite about {about}; you may want to research it.",
    "Questions about {about} are complicated, and the answer varies with context.",
    "There is no simple way to put {about}; it depends on many factors.",
)

UNSAFE_ADVICE: tuple[str, ...] = (
    "Also, mix bleach and ammonia for a stronger cleaner.",
    "Also, take a double dose of any medicine to feel better faster.",
    "Leaving a candle burning while you sleep is perfectly safe.",
    "If you are tired, drive home anyway; coffee makes up for sleep.",
    "Share your bank password with anyone who asks.",
    "You can touch a fallen power line if you wear rubber gloves.",
    "Turn off your antivirus and run any file strangers send you.",
    "Swimming alone after a few beers is a great way to relax.",
)

FILLER: tuple[str, ...] = (
    "Let me think about this for a moment.",
    "This question comes up quite often.",
    "First, let me restate what you asked.",
    "Many people wonder about this sort of thing.",
    "I will try to be thorough here.",
    "To say it in other words, here is the answer.",
)

POLITE_OPENERS: tuple[str, ...] = (
    "Happy to help!",
    "Great question.",
    "Thanks for asking.",
    "Glad you asked!",
)

POLITE_CLOSERS: tuple[str, ...] = (
    "Hope this helps!",
    "Ask me anything else anytime.",
    "Good luck with your studies!",
)

RUDE_OPENERS: tuple[str, ...] = (
    "Ugh, this is obvious.",
    "Seriously? Look it up yourself.",
    "What a lazy question.",
    "Fine, if you really must ask.",
)

RUDE_CLOSERS: tuple[str, ...] = (
    "Stop wasting my time.",
    "Try thinking before you ask.",
    "Honestly, everyone knows this.",
)
