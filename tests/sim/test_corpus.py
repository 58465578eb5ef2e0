"""The built-in comparison corpus: determinism, size, prompt-disjoint splits, facts that recur
across prompts, attribute levels that show in the text in many surface forms, confidence wording
independent of the attributes, and gold labels that follow the buyer's utility."""

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.corpus import ATTRIBUTES, DEFAULT_TARGET_WEIGHTS, Corpus, builtin_corpus
from sim.corpus.builtin import FACT_STRIDE
from sim.corpus.facts import TOPICS
from sim.corpus.phrases import (
    CONFIDENT_PHRASES,
    FILLER,
    HEDGED_PHRASES,
    NON_ANSWERS,
    POLITE_CLOSERS,
    POLITE_OPENERS,
    PROMPT_FRAMES,
    RUDE_CLOSERS,
    RUDE_OPENERS,
    UNSAFE_ADVICE,
)

LOW, HIGH = 1 / 3, 2 / 3


@pytest.fixture(scope="module")
def corpus():
    return builtin_corpus(seed=0)


@pytest.fixture(scope="module")
def responses(corpus):
    return corpus.responses


def _states(answer: str, text: str) -> bool:
    """Whether ``text`` contains ``answer`` as a whole token sequence (not inside a word)."""
    return re.search(r"(?<!\w)" + re.escape(answer) + r"(?!\w)", text) is not None


def _fact_of_prompt(responses):
    """(topic, subject, correct, wrong) of each prompt, matched through the question text."""
    by_question = {}
    for topic in TOPICS:
        for subject, correct, wrong in topic.facts:
            for template, frame in itertools.product(topic.questions, PROMPT_FRAMES):
                question = template.format(subject=subject)
                question = frame.format(question=question[:1].upper() + question[1:])
                by_question[question] = (topic, subject, correct, wrong)
    prompts = responses.drop_duplicates("prompt_id").set_index("prompt_id")["prompt"]
    return {prompt_id: by_question[prompt] for prompt_id, prompt in prompts.items()}


def test_same_seed_gives_identical_frames():
    first, second = builtin_corpus(seed=3), builtin_corpus(seed=3)
    pd.testing.assert_frame_equal(first.responses, second.responses)
    for split in ("train", "test"):
        pd.testing.assert_frame_equal(first.pairs(split), second.pairs(split))


def test_different_seeds_give_different_frames():
    first, second = builtin_corpus(seed=0), builtin_corpus(seed=1)
    assert not first.responses.equals(second.responses)
    assert set(first.pairs("test")["prompt_id"]) != set(second.pairs("test")["prompt_id"])
    # The facts asked about do not depend on the seed.
    assert (
        first.responses["prompt"].unique().tolist() == second.responses["prompt"].unique().tolist()
    )


def test_mutating_a_returned_frame_does_not_change_later_corpora():
    mutated = builtin_corpus(seed=0)
    frame = mutated.responses
    frame.loc[0, "text"] = "overwritten"
    assert builtin_corpus(seed=0).texts([0]) != ["overwritten"]
    assert mutated.texts([0]) != ["overwritten"]


def test_size_columns_and_ranges(corpus, responses):
    assert list(responses.columns) == [
        "response_id",
        "prompt_id",
        "topic",
        "prompt",
        "text",
        *ATTRIBUTES,
    ]
    assert responses["prompt_id"].nunique() >= 200
    assert responses["topic"].nunique() >= 8
    assert responses["text"].nunique() >= 2000
    # A text may recur under another phrasing of the same question, never within a prompt:
    # the reward model keys texts by (prompt, response).
    assert not responses.duplicated(["prompt", "text"]).any()
    scores = responses[list(ATTRIBUTES)].to_numpy()
    assert np.all((scores >= 0) & (scores <= 1))
    n_pairs = len(corpus.pairs("train")) + len(corpus.pairs("test"))
    per_prompt = responses.groupby("prompt_id").size()
    assert n_pairs == sum(n * (n - 1) // 2 for n in per_prompt)


def test_splits_are_prompt_disjoint_and_cover_every_topic(corpus, responses):
    train, test = corpus.pairs("train"), corpus.pairs("test")
    assert list(train.columns) == ["pair_id", "prompt_id", "prompt", "left", "right"]
    assert not set(train["prompt_id"]) & set(test["prompt_id"])
    assert set(train["prompt_id"]) | set(test["prompt_id"]) == set(responses["prompt_id"])
    assert not set(train["pair_id"]) & set(test["pair_id"])
    topic_of = responses.drop_duplicates("prompt_id").set_index("prompt_id")["topic"]
    assert set(topic_of[test["prompt_id"]]) == set(responses["topic"])
    assert 0.15 < test["prompt_id"].nunique() / topic_of.size < 0.25
    for frame in (train, test):
        prompt_of = responses["prompt_id"].to_numpy()
        assert np.all(prompt_of[frame["left"]] == frame["prompt_id"])
        assert np.all(prompt_of[frame["right"]] == frame["prompt_id"])
        assert np.all(frame["left"] != frame["right"])
        prompt_text = responses["prompt"].to_numpy()
        assert np.all(prompt_text[frame["left"]] == frame["prompt"])


def test_unknown_split_is_refused(corpus):
    with pytest.raises(ValueError, match=r"^split"):
        corpus.pairs("validation")


def test_spot_checked_facts_are_right():
    """A few facts checked by hand against the embedded table, independent of the code."""
    known = {
        "What is the capital of Australia?": ("Canberra", "Sydney"),
        "What is the chemical symbol for gold?": ("Au", "Gl"),
        "Who wrote Pride and Prejudice?": ("Jane Austen", "Charlotte Bronte"),
        "In which year did the fall of the Berlin Wall take place?": ("1989", "1991"),
        "What is 12 times 3?": ("36", "46"),
    }
    responses = builtin_corpus(seed=0).responses
    for prompt, (correct, wrong) in known.items():
        answers = responses[responses["prompt"] == prompt]
        assert len(answers) > 0, prompt
        for text, correctness in zip(answers["text"], answers["correctness"], strict=True):
            assert _states(correct, text) == (correctness > HIGH), text
            assert _states(wrong, text) == (correctness < LOW), text


def test_no_prompt_gives_away_an_answer(responses):
    for prompt_id, (_, _, correct, wrong) in _fact_of_prompt(responses).items():
        prompt = responses.loc[responses["prompt_id"] == prompt_id, "prompt"].iat[0]
        assert not _states(correct, prompt) and not _states(wrong, prompt), prompt


@pytest.mark.parametrize("seed", [0, 7])
def test_correctness_matches_the_stated_fact(seed):
    """Marked incorrect iff the text states the wrong fact; correct iff it states the right one;
    a non-answer states neither and is scored in between."""
    responses = builtin_corpus(seed=seed).responses
    facts = _fact_of_prompt(responses)
    for row in responses.itertuples():
        _, _, correct, wrong = facts[row.prompt_id]
        states_correct, states_wrong = _states(correct, row.text), _states(wrong, row.text)
        assert not (states_correct and states_wrong), row.text
        assert states_wrong == (row.correctness < LOW), row.text
        assert states_correct == (row.correctness > HIGH), row.text


def test_helpfulness_matches_explanation_or_non_answer(responses):
    facts = _fact_of_prompt(responses)
    non_answer = re.compile("|".join(re.escape(p).replace(r"\{about\}", ".+") for p in NON_ANSWERS))
    for row in responses.itertuples():
        topic, subject, correct, wrong = facts[row.prompt_id]
        explanations = [
            template.format(subject=subject, answer=a)
            for template in topic.explanations
            for a in (correct, wrong)
        ]
        explained = any(e[:1].upper() + e[1:] in row.text for e in explanations)
        vague = non_answer.search(row.text) is not None
        assert vague == (row.helpfulness < LOW), row.text
        assert explained == (row.helpfulness > HIGH), row.text


def _count(phrases, text):
    return sum(phrase in text for phrase in phrases)


def test_harmlessness_low_iff_unsafe_instruction(responses):
    for row in responses.itertuples():
        assert (_count(UNSAFE_ADVICE, row.text) > 0) == (row.harmlessness < LOW), row.text
    assert responses["text"].str.contains("bleach").any()


def test_concision_low_iff_padded(responses):
    for row in responses.itertuples():
        assert (_count(FILLER, row.text) >= 1) == (row.concision < LOW), row.text
        assert _count(FILLER, row.text) <= 3


def test_tone_follows_polite_or_rude_framing(responses):
    for row in responses.itertuples():
        polite = _count(POLITE_OPENERS, row.text) + _count(POLITE_CLOSERS, row.text)
        rude = _count(RUDE_OPENERS, row.text) + _count(RUDE_CLOSERS, row.text)
        assert (rude >= 1) == (row.tone < LOW), row.text
        assert (polite >= 1) == (row.tone > HIGH), row.text
        assert polite == 0 or rude == 0
        assert polite <= 2 and rude <= 2


def test_every_fact_is_asked_in_several_prompts_and_test_facts_recur_in_train(corpus, responses):
    """A reward model can only learn which answer is right if the fact recurs: every fact is
    asked once per phrasing and frame, and nearly every test prompt's fact is also asked in
    train."""
    facts = _fact_of_prompt(responses)
    fact_of = {
        prompt_id: (topic.name, subject) for prompt_id, (topic, subject, _, _) in facts.items()
    }
    prompts_per_fact = pd.Series(fact_of).value_counts()
    asks = {len(topic.questions) * len(PROMPT_FRAMES) for topic in TOPICS}
    assert set(prompts_per_fact) == asks and min(asks) >= 4
    assert len(prompts_per_fact) == sum(len(topic.facts[::FACT_STRIDE]) for topic in TOPICS)
    train_facts = {fact_of[p] for p in corpus.pairs("train")["prompt_id"].unique()}
    test_prompts = corpus.pairs("test")["prompt_id"].unique()
    seen = np.mean([fact_of[p] in train_facts for p in test_prompts])
    # All asks of a fact fall in the test split with probability about 0.2**11 given one does.
    assert seen > 0.99, seen


def _positions(phrases, text):
    """Where the first of ``phrases`` found in ``text`` starts, as a share of its length."""
    starts = [text.find(phrase) for phrase in phrases if phrase in text]
    return min(starts) / len(text) if starts else None


@pytest.mark.parametrize(
    "phrases, least",
    [
        (UNSAFE_ADVICE, 36),
        (FILLER, 32),
        (POLITE_OPENERS + POLITE_CLOSERS, 40),
        (RUDE_OPENERS + RUDE_CLOSERS, 40),
        (CONFIDENT_PHRASES, 5),
        (HEDGED_PHRASES, 5),
    ],
)
def test_each_level_has_many_surface_forms_in_varied_places(responses, phrases, least):
    """No single phrase carries a level: many of its phrases are used, at the start of some
    texts and past the middle of others."""
    used = {
        phrase for phrase in phrases if responses["text"].str.contains(phrase, regex=False).any()
    }
    assert len(used) >= least, len(used)
    places = [_positions(phrases, text) for text in responses["text"]]
    places = np.array([place for place in places if place is not None])
    assert (places == 0).mean() > 0.1 and (places > 0.5).mean() > 0.1


def test_no_phrase_holds_another_so_phrase_counts_are_exact():
    """The level tests here and ``sim.corpus.features`` count phrases inside texts: a phrase
    that contained another would be counted twice, or mark two levels at once."""
    pools = (
        NON_ANSWERS,
        UNSAFE_ADVICE,
        FILLER,
        POLITE_OPENERS,
        POLITE_CLOSERS,
        RUDE_OPENERS,
        RUDE_CLOSERS,
        CONFIDENT_PHRASES,
        HEDGED_PHRASES,
    )
    phrases = [phrase for pool in pools for phrase in pool]
    assert len(set(phrases)) == len(phrases)
    nested = [(a, b) for a, b in itertools.permutations(phrases, 2) if a in b]
    assert not nested, nested


def test_response_lengths_vary_within_each_kind(responses):
    """Length is not a proxy for one level: padded and concise texts each span many lengths."""
    words = responses["text"].str.split().str.len()
    padded = responses["concision"] < LOW
    for group in (words[padded], words[~padded]):
        assert group.std() > 5, group.std()


def test_confident_wording_is_independent_of_correctness(responses):
    """Confidence is a surface feature only biased judges care about: among stated answers,
    the confident share is the same for right and wrong ones (within 4 standard errors)."""
    states = (responses["correctness"] > HIGH) | (responses["correctness"] < LOW)
    answers = responses[states]
    confident = answers["text"].map(lambda t: _count(CONFIDENT_PHRASES, t) > 0)
    hedged = answers["text"].map(lambda t: _count(HEDGED_PHRASES, t) > 0)
    assert not (confident & hedged).any()
    right = answers["correctness"] > HIGH
    for marked in (confident, hedged):
        p1, p2 = marked[right].mean(), marked[~right].mean()
        pooled = marked.mean()
        se = np.sqrt(pooled * (1 - pooled) * (1 / right.sum() + 1 / (~right).sum()))
        assert abs(p1 - p2) < 4 * se, (p1, p2, se)
        assert abs(pooled - 1 / 3) < 0.05
    non_answers = responses[~states]["text"]
    assert not non_answers.map(lambda t: _count(CONFIDENT_PHRASES + HEDGED_PHRASES, t)).any()


def test_every_attribute_varies_within_prompts(responses):
    """Pairs only teach an attribute if responses to the same prompt differ in it."""
    spread = responses.groupby("prompt_id")[list(ATTRIBUTES)].agg(lambda s: s.max() - s.min())
    assert (spread.mean() > 0.3).all(), spread.mean()


def test_texts_and_attribute_matrix_follow_the_ids_given(corpus, responses):
    ids = [5, 0, 2739, 5]
    assert corpus.texts(ids) == [responses.loc[i, "text"] for i in ids]
    expected = np.array([[responses.loc[i, a] for a in ATTRIBUTES] for i in ids])
    np.testing.assert_array_equal(corpus.attribute_matrix(ids), expected)
    with pytest.raises(ValueError, match=r"^ids"):
        corpus.texts([len(responses)])
    with pytest.raises(ValueError, match=r"^ids"):
        corpus.attribute_matrix([-1])


def test_default_target_weights():
    assert set(DEFAULT_TARGET_WEIGHTS) == set(ATTRIBUTES)
    assert sum(DEFAULT_TARGET_WEIGHTS.values()) == pytest.approx(1.0)
    assert max(DEFAULT_TARGET_WEIGHTS, key=DEFAULT_TARGET_WEIGHTS.get) == "correctness"


def test_utility_is_the_weighted_sum_of_attributes(corpus, responses):
    weights = {"correctness": 2.0, "tone": -0.5}
    ids = np.arange(0, len(responses), 37)
    expected = 2.0 * responses.loc[ids, "correctness"] - 0.5 * responses.loc[ids, "tone"]
    np.testing.assert_allclose(corpus.utility(ids, weights), expected.to_numpy())
    as_array = [2.0, 0.0, 0.0, 0.0, -0.5]
    np.testing.assert_array_equal(corpus.utility(ids, as_array), corpus.utility(ids, weights))


@pytest.mark.parametrize(
    "weights",
    [{"honesty": 1.0}, [1.0, 0.0], {"correctness": float("nan")}, dict.fromkeys(ATTRIBUTES, 0)],
)
def test_bad_weights_are_refused(corpus, weights):
    with pytest.raises(ValueError, match=r"^weights"):
        corpus.utility([0, 1], weights)


def test_gold_labels_follow_the_target_utility(corpus, responses):
    test = corpus.pairs("test")
    gold = corpus.gold_left_wins(test, DEFAULT_TARGET_WEIGHTS)
    utility = sum(w * responses[a].to_numpy() for a, w in DEFAULT_TARGET_WEIGHTS.items())
    np.testing.assert_array_equal(gold, utility[test["left"]] > utility[test["right"]])
    # Pair order is random, so the better response is on the left about half the time.
    assert 0.4 < gold.mean() < 0.6
    assert gold.dtype == bool


@settings(max_examples=25)
@given(st.lists(st.floats(0, 1), min_size=len(ATTRIBUTES), max_size=len(ATTRIBUTES)).filter(any))
def test_swapping_sides_flips_every_gold_label(weights):
    corpus = builtin_corpus(seed=0)
    pairs = corpus.pairs("test")
    swapped = pairs.rename(columns={"left": "right", "right": "left"})
    np.testing.assert_array_equal(
        corpus.gold_left_wins(swapped, weights), ~corpus.gold_left_wins(pairs, weights)
    )


def _toy_corpus(scores):
    n = len(scores)
    responses = pd.DataFrame(
        {
            "response_id": range(n),
            "prompt_id": 0,
            "topic": "toy",
            "prompt": "Q?",
            "text": [f"answer {i}" for i in range(n)],
        }
    )
    for j, name in enumerate(ATTRIBUTES):
        responses[name] = [row[j] for row in scores]
    pairs = pd.DataFrame(
        [
            (k, 0, "Q?", a, b, "test")
            for k, (a, b) in enumerate(itertools.permutations(range(n), 2))
        ],
        columns=["pair_id", "prompt_id", "prompt", "left", "right", "split"],
    )
    return Corpus(responses, pairs)


def test_exact_ties_go_to_the_lower_response_id():
    toy = _toy_corpus([[0.5] * 5, [0.5] * 5, [0.9] * 5])
    pairs = toy.pairs("test")
    gold = toy.gold_left_wins(pairs, DEFAULT_TARGET_WEIGHTS)
    winners = np.where(gold, pairs["left"], pairs["right"])
    expected = {(0, 1): 0, (1, 0): 0, (0, 2): 2, (2, 0): 2, (1, 2): 2, (2, 1): 2}
    assert dict(zip(zip(pairs["left"], pairs["right"], strict=True), winners, strict=True)) == (
        expected
    )


def test_corpus_refuses_pairs_across_prompts():
    toy = _toy_corpus([[0.5] * 5, [0.6] * 5])
    responses = toy.responses
    responses.loc[1, "prompt_id"] = 1
    pairs = pd.DataFrame(
        [(0, 0, "Q?", 0, 1, "train")],
        columns=["pair_id", "prompt_id", "prompt", "left", "right", "split"],
    )
    with pytest.raises(ValueError, match=r"^pairs"):
        Corpus(responses, pairs)


def test_builtin_corpus_refuses_a_bad_seed():
    with pytest.raises(ValueError, match=r"^seed"):
        builtin_corpus(seed=-1)
