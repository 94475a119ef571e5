"""Real words one edit away from a word the spelling corrector knows: leave them alone.

Generated, not written: every word of the Debian word lists ``wamerican`` and
``wnorwegian`` (bokmål) that ``spelling.correct`` would otherwise turn into a vocabulary
word ("enable" into "unable", "kontrakt" into "kontakt", "henger" into "lenger"). Regenerate
with ``spelling.collisions`` after changing the vocabulary; the tests check the list
whenever the word lists are installed.
"""

from triage.classify.wordlist import word_set

PROTECTED_WORDS: frozenset[str] = word_set(
    """
    ansette ansltte ansttte antatte avsatte bastille bestalling bistilling bogningen
    bortsatt britisk bruknere bruktere brunere bugningen byggingen byningen carnot cashed
    clashed collegene commuters confection convection corking crushed effected endetid
    eposene fangere fangerer faskinene faskiner fedrifta fedriften fellesomrdet fingere
    fingerer fingerte forblindelse forblindelsen foresatt forking forsatt fortatt fortsett
    forutsatt fundere funderer funderte hungere hungerer internnett internnettet kantorene
    kollegiene kondorene kontoene kontret konturene korking kretisk maskingene ndetid
    notwork notworks orking outrage outrages painter pbygningen pinter plinter pointer
    posten postene prenter prinser pvirket revolved rkteren roteren rugeren serbere serberen
    serberne sersere severe sjrvere sjrveren sjrverne skrikeren smaskinene smaskiner
    sprinter telefoniene telefonken telefonkene tilfang tilging trashed tungere ukritisk
    uvirksomheten ververe ververen ververne wording worming
    """
)
