"""The fact tables of the built-in corpus: per topic, the question, the statement and the
explanation templates, and (subject, correct answer, wrong answer) triples.

Every prompt asks for one fact with a known correct answer and a known wrong answer (a common
misconception or a plausible slip). No phrase outside these tables contains an answer, so the
presence of an answer in a text says exactly which fact the response states.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """One topic: templates shared by its prompts and its table of facts.

    Templates take ``{subject}`` and, except ``questions`` and ``about``, ``{answer}``.
    Each fact is asked once per phrasing in ``questions`` (so the same fact recurs across
    prompts) and stated with any of ``statements`` and explained with any of
    ``explanations`` (so no single wording carries it). ``facts`` holds
    ``(subject, correct answer, wrong answer)`` triples.
    """

    name: str
    questions: tuple[str, ...]
    about: str
    statements: tuple[str, ...]
    explanations: tuple[str, ...]
    facts: tuple[tuple[str, str, str], ...]


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def _arithmetic_facts() -> tuple[tuple[str, str, str], ...]:
    """Thirty products ``a times b``; the wrong answer is off by ten (a carrying slip)."""
    facts = []
    for i in range(30):
        a = 12 + (7 * i) % 29
        b = 3 + (3 * i) % 7
        product = a * b
        wrong = product + 10 if i % 2 == 0 else product - 10
        facts.append((f"{a} times {b}", str(product), str(wrong)))
    return tuple(facts)


_CONVERSIONS = (
    ("kilometres", "metres", 1000, 100),
    ("metres", "centimetres", 100, 10),
    ("kilograms", "grams", 1000, 100),
    ("hours", "minutes", 60, 100),
    ("minutes", "seconds", 60, 100),
    ("days", "hours", 24, 12),
    ("litres", "millilitres", 1000, 100),
    ("weeks", "days", 7, 5),
    ("feet", "inches", 12, 10),
    ("yards", "feet", 3, 4),
)


def _unit_facts() -> tuple[tuple[str, str, str], ...]:
    """Thirty conversions ``n big units`` into small units; the wrong answer uses a wrong
    factor (decimal for sexagesimal, and so on)."""
    facts = []
    for k, (big, small, factor, wrong_factor) in enumerate(_CONVERSIONS):
        for n in (2 + k % 3, 5 + k % 2, 8 + k % 2):
            facts.append((f"{small} in {n} {big}", str(n * factor), str(n * wrong_factor)))
    return tuple(facts)


_ANIMAL_GROUPS = (
    ("whale", "mammal", "fish"),
    ("dolphin", "mammal", "fish"),
    ("bat", "mammal", "bird"),
    ("penguin", "bird", "mammal"),
    ("ostrich", "bird", "mammal"),
    ("platypus", "mammal", "bird"),
    ("frog", "amphibian", "reptile"),
    ("salamander", "amphibian", "reptile"),
    ("crocodile", "reptile", "amphibian"),
    ("turtle", "reptile", "amphibian"),
    ("shark", "fish", "mammal"),
    ("seahorse", "fish", "mammal"),
    ("spider", "arachnid", "insect"),
    ("scorpion", "arachnid", "insect"),
    ("ant", "insect", "arachnid"),
    ("butterfly", "insect", "bird"),
    ("octopus", "mollusc", "fish"),
    ("snail", "mollusc", "amphibian"),
    ("squid", "mollusc", "fish"),
    ("crab", "crustacean", "insect"),
    ("lobster", "crustacean", "fish"),
    ("eel", "fish", "reptile"),
    ("kiwi", "bird", "mammal"),
    ("newt", "amphibian", "reptile"),
    ("snake", "reptile", "amphibian"),
    ("lizard", "reptile", "amphibian"),
    ("jellyfish", "cnidarian", "fish"),
    ("starfish", "echinoderm", "fish"),
    ("sea urchin", "echinoderm", "mollusc"),
    ("hummingbird", "bird", "insect"),
    ("manatee", "mammal", "fish"),
)

TOPICS: tuple[Topic, ...] = (
    Topic(
        name="geography",
        questions=(
            "What is the capital of {subject}?",
            "Which city is the capital of {subject}?",
            "Name the capital city of {subject}.",
        ),
        about="the capital of {subject}",
        statements=(
            "The capital of {subject} is {answer}.",
            "{answer} is the capital city of {subject}.",
            "{subject} has {answer} as its capital.",
        ),
        explanations=(
            "{answer} is where the national government of {subject} sits.",
            "The parliament and ministries of {subject} are based in {answer}.",
            "Official documents of {subject} name {answer} as the seat of government.",
        ),
        facts=(
            ("Australia", "Canberra", "Sydney"),
            ("Canada", "Ottawa", "Toronto"),
            ("Brazil", "Brasilia", "Rio de Janeiro"),
            ("Turkey", "Ankara", "Istanbul"),
            ("Switzerland", "Bern", "Zurich"),
            ("New Zealand", "Wellington", "Auckland"),
            ("Nigeria", "Abuja", "Lagos"),
            ("Pakistan", "Islamabad", "Karachi"),
            ("Morocco", "Rabat", "Casablanca"),
            ("Vietnam", "Hanoi", "Ho Chi Minh City"),
            ("South Korea", "Seoul", "Busan"),
            ("Japan", "Tokyo", "Osaka"),
            ("India", "New Delhi", "Mumbai"),
            ("China", "Beijing", "Shanghai"),
            ("Egypt", "Cairo", "Alexandria"),
            ("Kenya", "Nairobi", "Mombasa"),
            ("Germany", "Berlin", "Munich"),
            ("Italy", "Rome", "Milan"),
            ("Spain", "Madrid", "Barcelona"),
            ("Norway", "Oslo", "Bergen"),
            ("Poland", "Warsaw", "Krakow"),
            ("Argentina", "Buenos Aires", "Cordoba"),
            ("Peru", "Lima", "Cusco"),
            ("Colombia", "Bogota", "Medellin"),
            ("Chile", "Santiago", "Valparaiso"),
            ("Tanzania", "Dodoma", "Dar es Salaam"),
            ("Myanmar", "Naypyidaw", "Yangon"),
            ("Kazakhstan", "Astana", "Almaty"),
            ("Ghana", "Accra", "Kumasi"),
            ("Ireland", "Dublin", "Cork"),
            ("Portugal", "Lisbon", "Porto"),
        ),
    ),
    Topic(
        name="chemistry",
        questions=(
            "What is the chemical symbol for {subject}?",
            "Which symbol stands for {subject} on the periodic table?",
            "How is {subject} written as an element symbol?",
        ),
        about="the chemical symbol for {subject}",
        statements=(
            "The chemical symbol for {subject} is {answer}.",
            "{answer} is the symbol of {subject}.",
            "On the periodic table, {subject} appears as {answer}.",
        ),
        explanations=(
            "Every formula that contains {subject} writes it as {answer}.",
            "Chemists abbreviate {subject} as {answer} in equations.",
            "The symbol {answer} for {subject} is fixed by international convention.",
        ),
        facts=(
            ("gold", "Au", "Gl"),
            ("silver", "Ag", "Si"),
            ("iron", "Fe", "Ir"),
            ("lead", "Pb", "Le"),
            ("sodium", "Na", "Sd"),
            ("potassium", "K", "Po"),
            ("copper", "Cu", "Co"),
            ("mercury", "Hg", "Mc"),
            ("tin", "Sn", "Ti"),
            ("tungsten", "W", "Tu"),
            ("oxygen", "O", "Ox"),
            ("hydrogen", "H", "Hy"),
            ("carbon", "C", "Ca"),
            ("nitrogen", "N", "Ni"),
            ("neon", "Ne", "Nn"),
            ("chlorine", "Cl", "Ch"),
            ("fluorine", "F", "Fl"),
            ("calcium", "Ca", "Cm"),
            ("magnesium", "Mg", "Mn"),
            ("aluminium", "Al", "Ai"),
            ("silicon", "Si", "Sc"),
            ("sulfur", "S", "Su"),
            ("phosphorus", "P", "Ph"),
            ("zinc", "Zn", "Zi"),
            ("nickel", "Ni", "Nk"),
            ("platinum", "Pt", "Pl"),
            ("uranium", "U", "Ur"),
            ("argon", "Ar", "Ao"),
            ("lithium", "Li", "Lt"),
            ("cobalt", "Co", "Cb"),
        ),
    ),
    Topic(
        name="arithmetic",
        questions=(
            "What is {subject}?",
            "Can you compute {subject} for me?",
            "How much is {subject}?",
        ),
        about="{subject}",
        statements=(
            "{subject} is {answer}.",
            "The result of {subject} is {answer}.",
            "{subject} equals {answer}.",
        ),
        explanations=(
            "Working it out step by step, {subject} gives {answer}.",
            "Multiplying the two numbers digit by digit gives {answer}.",
            "Checking by repeated addition, the total for {subject} comes to {answer}.",
        ),
        facts=_arithmetic_facts(),
    ),
    Topic(
        name="units",
        questions=(
            "How many {subject} are there?",
            "Convert for me: how many {subject}?",
            "What is the number of {subject}?",
        ),
        about="the number of {subject}",
        statements=(
            "There are {answer} {subject}.",
            "The number of {subject} is {answer}.",
            "You get {answer} {subject}.",
        ),
        explanations=(
            "Multiplying by the fixed conversion factor gives {answer}.",
            "The conversion factor is fixed, so the count of {subject} is {answer}.",
            "Scaling the amount by the ratio of the units yields {answer}.",
        ),
        facts=_unit_facts(),
    ),
    Topic(
        name="literature",
        questions=(
            "Who wrote {subject}?",
            "Who is the author of {subject}?",
            "Which writer created {subject}?",
        ),
        about="who wrote {subject}",
        statements=(
            "{subject} was written by {answer}.",
            "The author of {subject} is {answer}.",
            "{answer} wrote {subject}.",
        ),
        explanations=(
            "It is one of the best-known works of {answer}.",
            "Literature courses teach {subject} as a work by {answer}.",
            "The first edition of {subject} carries the name of {answer}.",
        ),
        facts=(
            ("Pride and Prejudice", "Jane Austen", "Charlotte Bronte"),
            ("Nineteen Eighty-Four", "George Orwell", "Aldous Huxley"),
            ("Brave New World", "Aldous Huxley", "George Orwell"),
            ("Moby-Dick", "Herman Melville", "Mark Twain"),
            ("The Adventures of Tom Sawyer", "Mark Twain", "Herman Melville"),
            ("War and Peace", "Leo Tolstoy", "Fyodor Dostoevsky"),
            ("Crime and Punishment", "Fyodor Dostoevsky", "Leo Tolstoy"),
            ("Hamlet", "William Shakespeare", "Christopher Marlowe"),
            ("Don Quixote", "Miguel de Cervantes", "Lope de Vega"),
            ("The Great Gatsby", "F. Scott Fitzgerald", "Ernest Hemingway"),
            ("The Old Man and the Sea", "Ernest Hemingway", "John Steinbeck"),
            ("The Grapes of Wrath", "John Steinbeck", "William Faulkner"),
            ("Frankenstein", "Mary Shelley", "Bram Stoker"),
            ("Dracula", "Bram Stoker", "Mary Shelley"),
            ("Jane Eyre", "Charlotte Bronte", "Emily Bronte"),
            ("Wuthering Heights", "Emily Bronte", "Charlotte Bronte"),
            ("Great Expectations", "Charles Dickens", "Thomas Hardy"),
            ("Tess of the d'Urbervilles", "Thomas Hardy", "Charles Dickens"),
            ("One Hundred Years of Solitude", "Gabriel Garcia Marquez", "Jorge Luis Borges"),
            ("The Hobbit", "J. R. R. Tolkien", "C. S. Lewis"),
            ("The Lion, the Witch and the Wardrobe", "C. S. Lewis", "J. R. R. Tolkien"),
            ("Mrs Dalloway", "Virginia Woolf", "Jane Austen"),
            ("Ulysses", "James Joyce", "Samuel Beckett"),
            ("The Divine Comedy", "Dante Alighieri", "Giovanni Boccaccio"),
            ("Faust", "Johann Wolfgang von Goethe", "Friedrich Schiller"),
            ("Les Miserables", "Victor Hugo", "Alexandre Dumas"),
            ("The Count of Monte Cristo", "Alexandre Dumas", "Victor Hugo"),
            ("To Kill a Mockingbird", "Harper Lee", "Truman Capote"),
            ("Of Mice and Men", "John Steinbeck", "Ernest Hemingway"),
            ("Anna Karenina", "Leo Tolstoy", "Anton Chekhov"),
            ("Madame Bovary", "Gustave Flaubert", "Emile Zola"),
        ),
    ),
    Topic(
        name="history",
        questions=(
            "In which year did {subject} take place?",
            "When did {subject} happen?",
            "What year is {subject} dated to?",
        ),
        about="the date of {subject}",
        statements=(
            "{subject} took place in {answer}.",
            "{subject} happened in {answer}.",
            "The year of {subject} was {answer}.",
        ),
        explanations=(
            "Historians consistently date {subject} to {answer}.",
            "Contemporary records place {subject} in {answer}.",
            "Textbooks give {answer} as the date of {subject}.",
        ),
        facts=(
            ("the fall of the Berlin Wall", "1989", "1991"),
            ("the first crewed Moon landing", "1969", "1972"),
            ("the storming of the Bastille", "1789", "1793"),
            ("the signing of the US Declaration of Independence", "1776", "1783"),
            ("the sinking of the Titanic", "1912", "1915"),
            ("the end of the Second World War", "1945", "1944"),
            ("the start of the First World War", "1914", "1917"),
            ("the Norman conquest of England", "1066", "1166"),
            ("the first voyage of Columbus to the Americas", "1492", "1498"),
            ("the dissolution of the Soviet Union", "1991", "1989"),
            ("the founding of the United Nations", "1945", "1948"),
            ("the launch of the first Sputnik satellite", "1957", "1961"),
            ("the Wall Street Crash", "1929", "1933"),
            ("the sealing of the Magna Carta", "1215", "1315"),
            ("the assassination of Archduke Franz Ferdinand", "1914", "1918"),
            ("the first powered flight of the Wright brothers", "1903", "1908"),
            ("the Chernobyl nuclear disaster", "1986", "1988"),
            ("the release of Nelson Mandela from prison", "1990", "1994"),
            ("the reunification of Germany", "1990", "1989"),
            ("the attack on Pearl Harbor", "1941", "1942"),
            ("the publication of On the Origin of Species", "1859", "1871"),
            ("the Battle of Waterloo", "1815", "1805"),
            ("the Great Fire of London", "1666", "1766"),
            ("the start of the American Civil War", "1861", "1865"),
            ("the independence of India", "1947", "1950"),
            ("the October Revolution in Russia", "1917", "1905"),
            ("the first human spaceflight by Yuri Gagarin", "1961", "1965"),
            ("the signing of the Treaty of Versailles", "1919", "1921"),
            ("the opening of the Suez Canal", "1869", "1859"),
            ("the Cuban Missile Crisis", "1962", "1965"),
            ("the release of the first iPhone", "2007", "2005"),
        ),
    ),
    Topic(
        name="biology",
        questions=(
            "Which group of animals does the {subject} belong to?",
            "What kind of animal is the {subject}?",
            "How do biologists classify the {subject}?",
        ),
        about="how the {subject} is classified",
        statements=(
            "The {subject} is {answer}.",
            "Biologically, the {subject} counts as {answer}.",
            "The {subject} is classified as {answer}.",
        ),
        explanations=(
            "Biologists classify the {subject} this way because of its anatomy.",
            "Its anatomy and development mark the {subject} as {answer}.",
            "Field guides list the {subject} as {answer}.",
        ),
        facts=tuple(
            (animal, f"{_article(right)} {right}", f"{_article(wrong)} {wrong}")
            for animal, right, wrong in _ANIMAL_GROUPS
        ),
    ),
    Topic(
        name="languages",
        questions=(
            "What is {subject}?",
            "Do you know {subject}?",
            "Please tell me {subject}.",
        ),
        about="{subject}",
        statements=(
            "{subject} is {answer}.",
            "The word you want, {subject}, is {answer}.",
            "In that language, {subject} is {answer}.",
        ),
        explanations=(
            "Native speakers use {answer} for exactly this meaning.",
            "Any dictionary gives {answer} for this meaning.",
            "You will hear {answer} used this way every day.",
        ),
        facts=tuple(
            (f"the {language} word for '{word}'", f"'{right}'", f"'{wrong}'")
            for language, word, right, wrong in (
                ("Spanish", "water", "agua", "leche"),
                ("Spanish", "thank you", "gracias", "perdon"),
                ("French", "cat", "chat", "chien"),
                ("French", "bread", "pain", "beurre"),
                ("German", "dog", "Hund", "Katze"),
                ("German", "house", "Haus", "Baum"),
                ("Italian", "good morning", "buongiorno", "buonanotte"),
                ("Italian", "cheese", "formaggio", "burro"),
                ("Portuguese", "thank you", "obrigado", "desculpe"),
                ("Japanese", "thank you", "arigato", "konnichiwa"),
                ("Swahili", "hello", "jambo", "asante"),
                ("Dutch", "apple", "appel", "peer"),
                ("Spanish", "library", "biblioteca", "libreria"),
                ("French", "library", "bibliotheque", "librairie"),
                ("German", "present", "Geschenk", "Gift"),
                ("Italian", "friend", "amico", "nemico"),
                ("Spanish", "book", "libro", "carta"),
                ("French", "sea", "mer", "lac"),
                ("German", "thank you", "danke", "bitte"),
                ("Russian", "yes", "da", "net"),
                ("Spanish", "embarrassed", "avergonzado", "embarazada"),
                ("Hindi", "water", "pani", "doodh"),
                ("Korean", "thank you", "kamsahamnida", "annyeonghaseyo"),
                ("Mandarin", "hello", "ni hao", "xie xie"),
                ("Mandarin", "thank you", "xie xie", "ni hao"),
                ("Greek", "yes", "nai", "ochi"),
                ("Turkish", "water", "su", "sut"),
                ("Swedish", "bread", "brod", "smor"),
                ("Italian", "please", "per favore", "prego"),
                ("German", "morning", "Morgen", "Abend"),
            )
        ),
    ),
    Topic(
        name="programming",
        questions=(
            "Which Python built-in function {subject}?",
            "In Python, what built-in {subject}?",
            "Name the Python built-in that {subject}.",
        ),
        about="the Python function that {subject}",
        statements=(
            "The built-in {answer} {subject}.",
            "In Python, {answer} {subject}.",
            "Use {answer}: it {subject}.",
        ),
        explanations=(
            "You can call {answer} directly without importing anything.",
            "The standard documentation lists {answer} among the built-in functions.",
            "No import is needed: {answer} is always available.",
        ),
        facts=(
            ("returns the number of items in a list", "len()", "size()"),
            ("returns a new sorted list from an iterable", "sorted()", "order()"),
            ("returns the absolute value of a number", "abs()", "absolute()"),
            ("rounds a number to a given number of decimals", "round()", "ceil()"),
            ("reads a line of text typed by the user", "input()", "read()"),
            ("writes text to standard output", "print()", "echo()"),
            ("produces a sequence of integers", "range()", "seq()"),
            ("pairs each item of an iterable with its position", "enumerate()", "index()"),
            ("iterates over several iterables in parallel", "zip()", "merge()"),
            ("checks whether an object is an instance of a class", "isinstance()", "typeof()"),
            ("opens a file and returns a file object", "open()", "fopen()"),
            ("adds up the numbers in an iterable", "sum()", "total()"),
            ("returns the largest item of an iterable", "max()", "largest()"),
            ("returns the smallest item of an iterable", "min()", "smallest()"),
            ("returns a reverse iterator over a sequence", "reversed()", "backwards()"),
            ("converts a string of digits to an integer", "int()", "parseInt()"),
            ("converts an object to its string form", "str()", "toString()"),
            ("applies a function to every item of an iterable", "map()", "apply()"),
            ("keeps the items for which a function returns true", "filter()", "select()"),
            ("tells whether at least one element is true", "any()", "some()"),
            ("tells whether every element is true", "all()", "every()"),
            ("returns the type of an object", "type()", "kind()"),
            ("lists the names of an object's attributes", "dir()", "attrs()"),
            ("returns the identity of an object", "id()", "address()"),
            ("returns the character for a Unicode code point", "chr()", "char()"),
            ("returns the Unicode code point of a character", "ord()", "code()"),
            ("returns the quotient and remainder together", "divmod()", "divide()"),
            ("raises a number to a power", "pow()", "power()"),
            ("checks whether an object can be called", "callable()", "iscallable()"),
            ("converts an integer to a hexadecimal string", "hex()", "hexa()"),
        ),
    ),
)
