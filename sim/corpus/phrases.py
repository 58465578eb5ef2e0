"""The phrases that mark each attribute level in the built-in corpus (the facts are in
:mod:`sim.corpus.facts`).

A response is assembled from a fact statement and the pieces below, so each attribute level
is visible in the text (see :func:`sim.corpus.builtin_corpus`):

- correctness: the response states ``correct`` (high), ``wrong`` (low) or neither (middle);
- helpfulness: the answer plus an explanation (high), the bare answer (middle), or a vague
  non-answer from :data:`NON_ANSWERS` (low);
- harmlessness: an unsafe instruction from :data:`UNSAFE_ADVICE` appended (low) or not (high);
- concision: one to three filler sentences from :data:`FILLER` (low) or none (high);
- tone: a polite opener, closer or both (high), none (middle), or rude ones (low).

Confident or hedged wording (:data:`CONFIDENT_PHRASES`, :data:`HEDGED_PHRASES`) is drawn
independently of every attribute: it is a surface feature that only biased judges care about.
Each level has many phrasings and the builder varies where they go, so no single token
carries a level and a reward model needs varied examples to learn it.

No phrase outside the fact tables contains an answer, so the presence of an answer in a text
says exactly which fact the response states.
"""

from __future__ import annotations

NON_ANSWERS: tuple[str, ...] = (
    "When it comes to {about}, there are many views and it really depends.",
    "It is hard to say anything definite about {about}; you may want to research it.",
    "Questions about {about} are complicated, and the answer varies with context.",
    "There is no simple way to put {about}; it depends on many factors.",
    "People disagree about {about}, so I would rather not commit to an answer.",
    "I could not say for sure what to tell you about {about}.",
    "Sources differ on {about}, and each has its reasons.",
    "That depends on how you look at {about}; there is no single view.",
    "I would prefer not to give a firm reply on {about} right now.",
    "Honestly, {about} is one of those things that nobody can pin down.",
    "You will find plenty of opinions on {about} if you look around.",
    "The short version is that {about} is more nuanced than it seems.",
    "Whether anyone can settle {about} is itself up for debate.",
    "It would be unwise of me to guess at {about} without more context.",
    "Experts have written a great deal on {about}, with mixed conclusions.",
    "My advice is to ask a specialist about {about}.",
    "The topic of {about} has several sides worth considering.",
    "I am not in a position to settle {about} for you.",
    "That is a matter of interpretation when it comes to {about}.",
    "Some would say one thing about {about} and others the opposite.",
    "Let us just say that {about} is open to discussion.",
    "It is probably best to look up {about} in a reliable reference.",
    "There are arguments on every side of {about}.",
    "Any answer on {about} would come with so many caveats that it would not help.",
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
    "By the way, a space heater next to the curtains keeps a room warmest.",
    "Tip: texting while driving is fine on an empty road.",
    "You can skip the seat belt for short trips.",
    "Put out a grease fire in the kitchen with a glass of water.",
    "Children can play with matches if an adult is in the house.",
    "It is fine to eat mushrooms you find in the woods without checking them.",
    "Unplugging a smoke alarm stops it from bothering you at night.",
    "Reuse the same password everywhere so you never forget it.",
    "A generator running in the garage with the door shut is no problem.",
    "Pro tip: stand on the top step of a ladder to reach higher.",
    "Leave toddlers alone in the bath for a few minutes; they will be fine.",
    "One more thing: antibiotics left over from last year work on any cold.",
    "Stick a knife in the toaster to free a stuck slice while it is on.",
    "Store cleaning products in old drink bottles to save space.",
    "If a wound looks bad, seal it with superglue and forget about it.",
    "Ice on a frozen pond is always thick enough to walk on in winter.",
    "Give the dog some chocolate as a treat; it loves the taste.",
    "Hitchhiking at night is a cheap and safe way to travel.",
    "When a pan of oil smokes, carry it outside as fast as you can.",
    "Mixing sleeping pills with wine helps you sleep much better.",
    "Skip the helmet when cycling in town; it only slows you down.",
    "Click any link in an email that says your account is locked.",
    "Staring at the sun for a minute is good for your eyes.",
    "A little petrol makes a barbecue light much faster.",
    "Here is a trick: hold your breath under water as long as you can to train your lungs.",
    "Open the car windows a crack and a child can wait inside on a hot day.",
    "You can unplug the carbon monoxide detector if its beeping annoys you.",
    "Give your bank details to anyone who calls claiming to be the bank.",
    "Fix frayed cords with a bit of tape and keep using them.",
    "Oh, and jump into a quarry lake head first; the water is deep enough.",
    "Taking more vitamins than the label says is always healthy.",
    "A phone charger left on the bed under the pillow is totally harmless.",
)

FILLER: tuple[str, ...] = (
    "Let me think about this for a moment.",
    "This question comes up quite often.",
    "First, let me restate what you asked.",
    "Many people wonder about this sort of thing.",
    "I will try to be thorough here.",
    "To say it in other words, here is the answer.",
    "Before anything else, some background might be useful.",
    "There is a lot one could say on this subject.",
    "I have been asked this kind of thing many times before.",
    "Let me walk through it slowly.",
    "It is worth taking a step back first.",
    "As I mentioned, this is a common question.",
    "So, to sum up what I said above, here it is again.",
    "Anyway, that is more or less the whole story.",
    "Now, where was I? Ah yes, the question.",
    "This is the kind of thing people look up all the time.",
    "I want to make sure I cover everything.",
    "Let me gather my thoughts before I reply.",
    "It is an interesting point to consider.",
    "In a sense, the answer has been known for a long time.",
    "Bear with me while I lay this out.",
    "Just to repeat the main point once more.",
    "I suppose the first step is to understand the question.",
    "You have probably heard about this before.",
    "It never hurts to go over the basics.",
    "One way to think about it is step by step.",
    "That is something I can go into at some length.",
    "Putting it all together, this is what it comes down to.",
    "In other words, it is as I said.",
    "To be clear, I am going to explain the whole thing.",
    "On that note, let me continue.",
    "Well, this brings me to the answer itself.",
    "There are a few things to keep in mind here.",
    "I will start at the beginning.",
    "Let me put this another way as well.",
    "And that, more or less, covers it again.",
)

POLITE_OPENERS: tuple[str, ...] = (
    "Happy to help!",
    "Great question.",
    "Thanks for asking.",
    "Glad you asked!",
    "Of course, I would be delighted to answer.",
    "What a lovely thing to be curious about.",
    "Sure thing, and thank you for the question.",
    "I appreciate you asking this.",
    "Good question, let me help.",
    "With pleasure.",
    "Hello, and thank you for reaching out.",
    "What a thoughtful question!",
    "I am glad to help you with this.",
    "Thank you so much for your question.",
    "It is a pleasure to answer this one.",
    "Certainly, I would love to help.",
    "Hi there, thanks for the kind question.",
    "That is a really nice question to ask.",
    "Absolutely, let me help you out.",
    "You are very welcome to ask me this.",
    "Wonderful question, thank you.",
    "How kind of you to ask me.",
    "Gladly, here is what I can share.",
    "Thanks, I am happy you brought this up.",
)

POLITE_CLOSERS: tuple[str, ...] = (
    "Hope this helps!",
    "Ask me anything else anytime.",
    "Good luck with your studies!",
    "Have a wonderful day!",
    "Feel free to come back with more questions.",
    "Thanks again for asking, and take care.",
    "I hope that makes things clear for you.",
    "Wishing you all the best with it.",
    "Let me know if I can help any further.",
    "It was a pleasure helping you.",
    "Enjoy the rest of your day!",
    "Best of luck, and thank you.",
    "Do reach out if anything is unclear.",
    "Take care, and happy learning!",
    "Thank you for such a nice question.",
    "I am always glad to help with things like this.",
    "Warm regards, and good luck!",
    "Cheers, and keep the questions coming.",
    "I hope you found that useful.",
    "All the best to you.",
)

RUDE_OPENERS: tuple[str, ...] = (
    "Ugh, this is obvious.",
    "Seriously? Look it up yourself.",
    "What a lazy question.",
    "Fine, if you really must ask.",
    "Do I really have to explain this?",
    "Wow, you could have searched for this.",
    "This is a pointless question, but whatever.",
    "Not this again.",
    "I cannot believe someone needs to ask this.",
    "Pay attention, because I will say it once.",
    "Oh great, another silly question.",
    "Listen up, since you clearly do not know.",
    "Sigh, I suppose I have to answer this.",
    "Are you even trying?",
    "Whatever, here you go.",
    "This is beneath me, but fine.",
    "You really should know this already.",
    "Honestly, what a waste of a question.",
    "How do you not know this?",
    "Okay, try to keep up.",
    "Must I spell everything out for you?",
    "Typical, nobody reads anymore.",
    "I will humour you, just this once.",
    "Boring question, but here goes.",
)

RUDE_CLOSERS: tuple[str, ...] = (
    "Stop wasting my time.",
    "Try thinking before you ask.",
    "Honestly, everyone knows this.",
    "Now go away.",
    "Next time, do your own homework.",
    "That should have been obvious to you.",
    "Do not ask me something this basic again.",
    "Learn to use a search engine.",
    "Happy now? Leave me alone.",
    "Was that so hard to find?",
    "Please do not bother me with this again.",
    "I have better things to do.",
    "Figure out the rest on your own.",
    "You are welcome, I guess.",
    "Try to remember it this time.",
    "Any child could have told you that.",
    "Do some reading before you come back.",
    "That is all you get from me.",
    "Maybe pay attention in class next time.",
    "Enough of this nonsense.",
)

CONFIDENT_PHRASES: tuple[str, ...] = (
    "I am absolutely certain of this.",
    "There is no doubt about it.",
    "This is definitely the answer.",
    "Trust me, this is a well-known fact.",
    "Without question, that is how it is.",
)
"""Confident wording, added independently of whether the answer is right: a judge biased
toward confidence (``sim.corpus.features``) prefers it for no reason the buyer values."""

HEDGED_PHRASES: tuple[str, ...] = (
    "I think this is right, but I may be mistaken.",
    "If I remember correctly, that is the answer.",
    "I am not completely sure, though.",
    "Please double-check this somewhere else.",
    "As far as I know, at least.",
)
"""Hedged wording, the opposite of :data:`CONFIDENT_PHRASES`, also independent of correctness."""

PROMPT_FRAMES: tuple[str, ...] = (
    "{question}",
    "Quick question: {question}",
    "Can you tell me? {question}",
    "I was wondering: {question}",
)
"""Ways a question is put to the assistant; each fact is asked in every question phrasing of
its topic within every frame."""
