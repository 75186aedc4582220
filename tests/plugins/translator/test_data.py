"""The data: French number words by the rules, subword tokenizers that keep accents
and case, the seeded split by source sentence, length filtering, the two-column CSV
reader."""

from __future__ import annotations

import pytest

from studio import api
from studio_plugins.translator import data, numbers, pairs_csv, tokenization

FRENCH = {
    0: "zéro",
    1: "un",
    16: "seize",
    17: "dix-sept",
    21: "vingt et un",
    22: "vingt-deux",
    61: "soixante et un",
    70: "soixante-dix",
    71: "soixante et onze",
    72: "soixante-douze",
    80: "quatre-vingts",
    81: "quatre-vingt-un",
    91: "quatre-vingt-onze",
    97: "quatre-vingt-dix-sept",
    100: "cent",
    101: "cent un",
    200: "deux cents",
    201: "deux cent un",
    280: "deux cent quatre-vingts",
    1000: "mille",
    1001: "mille un",
    2000: "deux mille",
    21_000: "vingt et un mille",
    80_000: "quatre-vingt mille",
    80_080: "quatre-vingt mille quatre-vingts",
    200_000: "deux cent mille",
    300_200: "trois cent mille deux cents",
    999_999: "neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf",
}
ENGLISH = {
    0: "zero",
    21: "twenty-one",
    97: "ninety-seven",
    105: "one hundred five",
    1000: "one thousand",
    21_340: "twenty-one thousand three hundred forty",
}


def test_french_number_words_follow_the_rules():
    for n, words in FRENCH.items():
        assert numbers.french(n) == words, n
    for n, words in ENGLISH.items():
        assert numbers.english(n) == words, n
    with pytest.raises(ValueError, match="outside"):
        numbers.french(1_000_000)


def test_the_embedded_pairs_are_distinct_seeded_and_cover_every_small_number():
    pairs = numbers.number_pairs(3000, seed=0)
    assert len(pairs) == len(set(pairs)) == 3000
    assert pairs == numbers.number_pairs(3000, seed=0)
    assert {e for e, _ in pairs} >= {numbers.english(n) for n in range(1000)}


def test_tokenizers_keep_accents_and_case_and_round_trip():
    french = ["Ça alors !", "Je ne parle pas français.", "Où est l'hôpital ?"] * 20
    english = ["Wow!", "I don't speak French.", "Where is the hospital?"] * 20
    src, tgt = tokenization.train_pair(english, french, 120, joint=False)
    assert src is not tgt
    for text in french[:3]:
        assert tgt.decode(tgt.encode(text)) == text  # "français", not "francais"
    joint_src, joint_tgt = tokenization.train_pair(english, french, 150, joint=True)
    assert joint_src is joint_tgt
    state = tokenization.pair_state(src, tgt)
    again_src, again_tgt = tokenization.pair_from_state(state)
    assert again_tgt.encode("Je ne parle pas français.") == tgt.encode("Je ne parle pas français.")
    assert again_src.vocab_size == src.vocab_size


def test_split_by_source_is_seeded_and_keeps_a_sentence_on_one_side():
    pairs = [(f"s{i % 50}", f"t{i}") for i in range(200)]  # 4 translations a sentence
    train, val = data.split_by_source(pairs, 0.2, seed=3)
    assert (train, val) == data.split_by_source(pairs, 0.2, seed=3)
    assert data.split_by_source(pairs, 0.2, seed=4)[1] != val
    assert not {s for s, _ in train} & {s for s, _ in val}
    assert len({s for s, _ in val}) == 10 and len(train) + len(val) == 200


def test_length_filter_and_sorted_batches():
    pairs = [(" ".join("a" * n), " ".join("b" * n)) for n in range(1, 30)]
    tok = tokenization.train_bpe(["a b"] * 5, 20)
    kept = data.encode(pairs, tok, tok, max_tokens=10)
    assert kept.dropped == 19 and len(kept.src) == 10
    assert all(s[-1] == tokenization.EOS for s in kept.src)
    assert all(t[0] == tokenization.BOS and t[-1] == tokenization.EOS for t in kept.tgt)
    batches = data.length_batches(kept, 4)
    assert [len(s) for s, _ in batches] == [4, 4, 2]
    widths = [s.shape[1] for s, _ in batches]
    assert widths == sorted(widths)  # similar lengths together


def test_two_column_csv_of_sentences_is_read_as_pairs(tmp_path):
    good = tmp_path / "pairs.csv"
    good.write_text('english,french\nHello.,Bonjour.\n"Yes, sir.","Oui, monsieur."\nbad\n')
    assert pairs_csv.accepts(good)
    loaded = pairs_csv.load(good)
    assert loaded.kind == "text-pairs"
    assert [loaded.train[i] for i in range(len(loaded.train))] == [
        ("Hello.", "Bonjour."),
        ("Yes, sir.", "Oui, monsieur."),
    ]
    assert loaded.info["skipped"] and "bad" not in str(loaded.train.pairs)
    table = tmp_path / "table.csv"
    table.write_text("x,y\n1,2\n3,4\n")
    assert not pairs_csv.accepts(table)  # numbers stay the table reader's
    three = tmp_path / "three.csv"
    three.write_text("a,b,c\nd,e,f\n")
    assert not pairs_csv.accepts(three)
    empty = tmp_path / "empty.csv"
    empty.write_text("only\n")
    with pytest.raises(api.DatasetError, match="no two-column text rows"):
        pairs_csv.load(empty)
