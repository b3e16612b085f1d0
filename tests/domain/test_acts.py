"""Helpful acts and thanks: which words thank, which messages ask, and what one message does for whom."""

from __future__ import annotations

import pytest

from bot.domain.acts import Said, acts_of, asks_something, is_mass_mention, is_thanks

KAI, MEI, ROB, SAM = 1, 2, 3, 4


@pytest.mark.parametrize("text", [
    "thanks", "Thanks!", "THANK YOU", "thank you so much", "thankyou", "thank u", "ty", "TY!!", "tysm", "thx",
    "cheers", "Much appreciated.", "appreciate it", "🙏", "🙏🏽", "that was great, thanks Kai!",
    "ok ty, that helps", "This is it. Cheers mate", "Thank  you", "thanks’", "wow, thank you <@2>",
])
def test_thanks_in_many_phrasings(text):
    assert is_thanks(text)


@pytest.mark.parametrize("text", [
    "no thanks", "No thanks!", "no, thank you", "No thank you, I'm fine", "thanks but no thanks",
    "thanks for nothing", "not thanks to you", "no thx", "no ty",
    "> thanks Kai\nanyway, moving on", "`thanks`", "```\nprint('thank you')\n```", "I'm in Thankston",
    "tyre pressure", "a thankless job", "cheerstastic", "the stylus", "what a story", "",
])
def test_negatives_quotes_code_and_lookalikes_are_not_thanks(text):
    assert not is_thanks(text)


def test_a_servers_own_words_and_emoji():
    assert is_thanks("merci beaucoup!", ["merci"])
    assert is_thanks("Danke schön", ["danke schön"])
    assert not is_thanks("mercier is my name", ["merci"])
    assert is_thanks("❤️", emoji=["❤️"])
    assert is_thanks("<@2> ❤️❤️", emoji=["❤️", "💯"])
    assert not is_thanks("I ❤️ winters", emoji=["❤️"])  # an emoji inside a sentence is not thanks by itself
    assert not is_thanks("❤️")  # only when the server counts it


@pytest.mark.parametrize("text", [
    "Where did you move from?", "anyone tried the ferry?  ", "How do you cope with winter", "is it cold there",
    "<@2> what do you mean", "really? 🤔", "Could you say more?🙂", "Which one", "Do you miss home?",
])
def test_asking(text):
    assert asks_something(text)


@pytest.mark.parametrize("text", ["A1: the rent", "I see.", "whoever said that is right", "> why?\nbecause", "",
                                  "nowhere else"])
def test_not_asking(text):
    assert not asks_something(text)


def test_mass_mentions():
    assert is_mass_mention(5, False) and is_mass_mention(0, True)
    assert not is_mass_mention(4, False)


def test_thanks_by_reply_and_by_mention_each_receiver_once():
    said = Said(KAI, "thanks both! <@2> <@3>", replied_to=MEI, mentioned=(MEI, ROB))
    assert acts_of(said) == [("thanks", MEI), ("thanks", ROB)]


def test_no_thanks_counts_nothing():
    assert acts_of(Said(KAI, "no thanks", replied_to=MEI)) == []


def test_oneself_and_bots_get_nothing():
    # The adapter leaves bots out and sends replied_to=None for a reply to oneself; a mention of oneself is dropped.
    assert acts_of(Said(KAI, "thanks <@1>", mentioned=(KAI,), recent=frozenset({KAI}))) == []
    assert acts_of(Said(KAI, "thanks!", replied_to=None)) == []
    assert acts_of(Said(KAI, "thanks!", replied_to=KAI, replied_answered_or_asked=True)) == []


def test_mass_mentions_do_nothing():
    said = Said(KAI, "thanks everyone!", replied_to=MEI, replied_answered_or_asked=True,
                mentioned=(MEI, ROB, SAM), mass=True, recent=frozenset({ROB}))
    assert acts_of(said) == []


def test_a_reply_to_an_answer_or_a_question_is_helpful():
    assert acts_of(Said(KAI, "same here, the winters!", replied_to=MEI, replied_answered_or_asked=True)) == [
        ("helpful", MEI)]
    assert acts_of(Said(KAI, "lol", replied_to=MEI, replied_answered_or_asked=False)) == []


def test_a_mention_is_helpful_only_towards_someone_who_just_answered_or_asked():
    said = Said(KAI, "<@2> <@3> try the ferry", mentioned=(MEI, ROB), recent=frozenset({ROB}))
    assert acts_of(said) == [("helpful", ROB)]


def test_thanking_someone_is_not_also_helping_them():
    said = Said(KAI, "thank you! <@3>", replied_to=MEI, replied_answered_or_asked=True, mentioned=(ROB, SAM),
                recent=frozenset({ROB, SAM}))
    assert acts_of(said) == [("thanks", MEI), ("thanks", ROB), ("thanks", SAM)]


def test_helpful_once_per_person_though_replied_and_mentioned():
    said = Said(KAI, "<@2> good point", replied_to=MEI, replied_answered_or_asked=True, mentioned=(MEI,),
                recent=frozenset({MEI}))
    assert acts_of(said) == [("helpful", MEI)]


def test_extra_words_thank():
    assert acts_of(Said(KAI, "merci!", replied_to=MEI, extra_words=("merci",))) == [("thanks", MEI)]
