"""Named families of expressions ("cues") in Dutch and English; each match becomes a reason.

Intent and urgency weigh the same families differently, so the words live here once. The
lists describe webcare situations (service failures, threats, thanks), not any data set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANY = ("nl", "en", "und")


@dataclass(frozen=True, eq=False)  # identity: cues are dict keys on every message
class Cue:
    """A family of expressions; `langs` keeps false friends out ("brand" is fire in Dutch)."""

    name: str
    expressions: tuple[str, ...]  # regex fragments, longest first, without word-boundary guards
    langs: frozenset[str] = frozenset(ANY)

    def reason(self, hit: str) -> str:
        return f"{self.name}: '{hit}'"


def _characters(expression: str):
    """(index, character, depth) of each unescaped character; a bracket counts inside itself."""
    depth, i = 0, 0
    while i < len(expression):
        ch = expression[i]
        if ch == "\\":
            i += 2
            continue
        if ch in ")]":
            depth -= 1
        yield i, ch, depth
        if ch in "([":
            depth += 1
        i += 1


def _split(expression: str) -> list[str]:
    """`expression` cut at its top-level `|`, so every alternative can be factored alone."""
    cuts = [i for i, ch, depth in _characters(expression) if ch == "|" and depth == 0]
    return [expression[a + 1:b] for a, b in zip([-1, *cuts], [*cuts, len(expression)])]


_META = frozenset(".^$*+?{}[]\\|()")


def _literal_prefix(expression: str) -> str:
    """The plain characters an expression starts with (stopping before a quantified one)."""
    for i, ch in enumerate(expression):
        if ch in _META or expression[i + 1:i + 2] in ("?", "*", "+", "{"):
            return expression[:i]
    return expression


def _factored(expressions: list[str]) -> str:
    """The alternation of `expressions` with shared leading letters factored out.

    Python's regex engine tries an alternation's branches one by one; written as a tree of
    shared prefixes ("n(?:iet ...|o(?:g ...|oit ...))") a word that starts no expression is
    rejected after a letter or two instead of after hundreds of tries.
    """
    def branches(entries: list[tuple[str, str]]) -> list[str]:
        by_char: dict[str, list[tuple[str, str]]] = {}
        rest_only = []
        for literal, rest in entries:
            if literal:
                by_char.setdefault(literal[0], []).append((literal[1:], rest))
            else:
                rest_only.append(rest)
        out = []
        for ch, sub in by_char.items():
            alts = branches(sub)
            out.append(ch + (alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"))
        out.sort(key=len, reverse=True)
        return out + sorted(rest_only, key=len, reverse=True)  # an empty rest (a shorter word) last

    entries = []
    for expression in (e for x in expressions for e in _distributed(x)):
        literal = _literal_prefix(expression)
        entries.append((literal, expression[len(literal):]))
    return "(?:" + "|".join(branches(entries)) + ")"


def _distributed(expression: str) -> list[str]:
    """A leading group's choices spelled out ("(?:top|fijn) hoor" -> "top hoor", "fijn hoor"),
    so their letters can be factored too; other expressions are returned as they are."""
    if not expression.startswith("(?:"):
        return [expression]
    i = next(i for i, ch, depth in _characters(expression) if ch == ")" and depth == 0)
    rest = expression[i + 1:]
    choices = _split(expression[3:i])
    if rest[:1] == "?" and rest[1:2] not in ("?", "+"):  # an optional group: with it, or without
        return [e for choice in choices + [""] for e in _distributed(choice + rest[1:])]
    if rest[:1] in ("*", "+", "{"):
        return [expression]  # a repeated group: keep it whole
    return [e for choice in choices for e in _distributed(choice + rest)]


def whole_words(pattern: str) -> re.Pattern[str]:
    """`pattern`, of the form r"\\b(?:A|B|...)\\b" with each choice starting with a plain
    letter, compiled to match exactly as written but faster.

    The regex engine skips ahead to a possible first character only when every branch of
    a pattern starts with a plain character; a leading "\\b" makes it try the whole pattern
    at every position of every message. Here the choices are grouped by first letter (their
    order kept within each group) and the "\\b" before a letter becomes a lookbehind after
    it ("k(?<!\\w.)(?:om op|...)"), so no branch starts with anything but a letter.
    """
    if not (pattern.startswith("\\b(?:") and pattern.endswith(")\\b")):
        raise ValueError(f"not a \\b(?:...)\\b pattern: {pattern!r}")
    by_first: dict[str, list[str]] = {}
    for choice in _split(pattern[5:-3]):
        first = choice[:1]
        if not first.isalpha() or choice[1:2] in ("?", "*", "+", "{"):
            raise ValueError(f"a choice must start with a plain letter: {choice!r}")
        by_first.setdefault(first, []).append(choice[1:])
    branches = [f"{first}(?<!\\w.)(?:{'|'.join(rests)})" for first, rests in by_first.items()]
    return re.compile("(?:" + "|".join(branches) + ")\\b")


def cue(name: str, *expressions: str, langs: tuple[str, ...] = ANY) -> Cue:
    """Expressions are regex fragments matched as whole words; most are plain words."""
    ordered = tuple(sorted((e for x in expressions for e in _split(x)), key=len, reverse=True))
    return Cue(name, ordered, frozenset(langs))


_NUM = r"(?:\d+(?:[.,]\d+)?|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twaalf|twintig)"
_NUM_EN = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty)"
# a stretch of time someone spent waiting: "45 minuten", "een uur", "drie weken", "an hour"
_SPAN_NL = (rf"(?:(?:{_NUM}|een|een half|anderhalf|anderhalve|ruim een|bijna een) "
            r"(?:min|minuten|minuutjes|kwartier|uur|uren|dag|dagen|werkdagen|week|weken|maand|maanden)"
            r"|(?:een |ruim een |bijna een )?half jaar|anderhalf jaar)")
_SPAN_EN = (rf"(?:(?:{_NUM_EN}|an|a|half an|over an|over a) "
            r"(?:mins?|minutes|hours?|days|working days|weeks?|months?)|(?:an? )?hour and a half|(?:a |over a )?year and a half)")

BROKEN = cue(
    "broken",
    "kapot", "stuk", "defect", "storing", "storingen", "werkt niet", "werkt nog steeds niet",
    r"werkt (?:al \w+ )?niet meer", "doet het niet", "doet het nog steeds niet", "foutmelding",
    "ligt eruit", r"ligt (?:er )?(?:al \w+ |al de hele \w+ |weer )?uit", "ligt plat", "crasht",
    r"valt (?:steeds |elke \w+ |weer |telkens )?(?:uit|weg)", r"uitgevallen", "zwart scherm",
    r"foutcode\w*", r"geen (?:internet|stroom|bereik|signaal|verbinding|wifi|tv|beeld|water|warm water)",
    r"haper\w*", r"(?:stroom|internet|tv|wifi|water|licht|verwarming) (?:is |valt |ligt )?(?:al \w+ \w+ |weer |steeds )?(?:uit|weg|eruit)",
    r"(?:rijdt|rijden|vertrekt|vertrekken) (?:\w+ )?niet", "geen druppel", r"remt (?:niet|slecht)", "werkt nooit", r"(?:doet|doen) (?:het )?(?:nog steeds |alweer |weer )?niet",
    r"uitval\w*", r"(?:4g|5g|signaal|bereik|internet|wifi|verbinding|beeld|geluid) (?:\w+ ){0,6}?verdwijnt",
    "broken", r"doesn'?t work", "not working", r"(?:snapped|cracked|shattered|dented|torn|ripped) (?:at|in|off|after|on|when)", r"(?:gebarsten|gescheurd|afgebroken) (?:na|bij|toen)",
    r"(?:lekt|lekte|lekken|leaks|leaking) (?:er )?(?:water|gas|olie)", r"(?:internet|connection|wifi|signal|call|line)s? (?:keeps? )?drop\w*", r"won'?t work", "stopped working", "outage",
    r"(?:is|are|went|goes|down) (?:down|offline)", r"(?:internet|wifi|app|site|website|network) (?:is )?down",
    "keeps crashing", "error", r"no (?:signal|internet|power|connection|wifi|service)",
    "black screen",
    r"logt (?:me|mij|ons) (?:\w+ ){0,3}?uit", r"(?:has|have|had) been (?:down|offline)")
NOT_DELIVERED = cue(
    "not delivered",
    r"niet (?:geleverd|ontvangen|aangekomen|bezorgd)", r"nooit (?:geleverd|ontvangen|aangekomen)",
    r"nog (?:steeds )?niet (?:geleverd|ontvangen|binnen|aangekomen|bezorgd)", "kwijtgeraakt",
    "beschadigd", r"verkeerde (?:bestelling|maat|product|artikel|pakket)",
    r"(?:pakket|bestelling|zending|koffer|bagage) (?:is |dus )?(?:kwijt|zoek|vermist)",
    r"niet (?:komen )?opgedaagd", "kwam niet opdagen", r"niemand (?:is )?(?:geweest|gekomen)",
    r"never (?:arrived|received|delivered)", r"not (?:received|delivered)", r"hasn'?t arrived",
    "damaged", r"wrong (?:item|order|size)", r"never (?:came|showed up|turned up)",
    r"(?:didn'?t|did not|never) (?:show up|turn up)", r"no record of", r"(?:lost|missing) (?:my )?(?:parcel|package|luggage|bag|order)",
    r"there is no parcel", r"no sign of (?:the|my|our|any)", r"(?:niks|niets) (?:ontvangen|binnen|gekregen|bezorgd)",
    r"niet meegekomen", "ontbrak", "ontbreekt", r"missing from", r"(?:was|were|is|are) missing (?:the|my|our|\w+)", r"nothing (?:here|arrived|came)", r"never (?:arrives|arrived)",
    r"(?:nobody|no one|niemand) (?:could|kon) (?:find|vinden)", r"(?:nobody|no one|no-one) (?:came|showed|turned up)",
    r"(?:arrived|came|delivered) (?:\w+ ){0,2}?(?:wilted|broken|damaged|smashed|crushed|opened|leaking|rotten|mouldy|moldy)",
    r"(?:kwam|kwamen|kwam er) (?:\w+ ){0,2}?(?:kapot|beschadigd|verwelkt|open|lek|beschimmeld)")
NO_ANSWER = cue(
    "no answer",
    "geen reactie", "geen antwoord", "geen gehoor", "niet bereikbaar", "onbereikbaar",
    r"niks (?:meer )?gehoord", r"niets (?:meer )?gehoord", "reageert niemand",
    r"niemand (?:neemt (?:de telefoon |de telefoon niet |niet )?op|reageert|belt terug)", r"(?:nobody|no one) (?:called|rang|phoned)( back)?",
    r"(?:rings|rang|ringing) out", r"(?:trying|tried|try) to get through", r"van (?:het )?kastje naar de muur",
    r"(?:sent|passed|pushed|bounced) from pillar to post", r"elke keer (?:als ik bel )?(?:\w+ )?(?:iemand anders|een ander verhaal)", r"(?:niet|nooit) (?:beantwoord|teruggebeld|gereageerd)",
    "onbeantwoord", r"geen (?:enkele )?(?:reactie|antwoord|bericht|terugkoppeling)",
    r"(?:verbinding|gesprek) (?:werd )?verbroken", "hangt op", r"in de wacht(?:rij)?",
    "no response", "no reply", "no answer", "nobody answers", r"without (?:a |any )?(?:response|reply|answer)", "heard nothing",
    r"(?:hasn'?t|haven'?t|has not|have not|didn'?t|did not) (?:\w+ )?(?:replied|responded|answered|got back)", r"no (?:acknowledgement|acknowledgment)",
    r"never (?:heard|got) back", r"(?:haven'?t|have not) heard (?:back|anything)", "ignored",
    "ignoring me", r"(?:dan )?wel (?:reageren|antwoorden|terugbellen)", r"zit er (?:\w+ )?iemand",
    r"not (?:one|a single) (?:response|reply|answer|word)", r"(?:reading|read) (?:these|my (?:emails|messages|mails))",
    r"(?:komt|kom) er (?:nu )?(?:\w+ )?(?:wel )?(?:een )?(?:reactie|antwoord)", r"get a (?:reply|response|answer) out of", r"(?:is )?any ?(?:one|body) (?:actually )?(?:working|there|reading this|home)",
    r"on hold for", r"hung up on me", r"(?:nobody|no one|no-one) (?:answers|picks up|responds|replies|got back)",
    r"(?:reageert|reageren|reageerde|antwoordt|antwoorden) (?:\w+ )?(?:niet|nooit)", r"(?:niets|niks) (?:meer )?(?:van )?vernomen",
    r"tot op heden (?:\w+ ){0,4}?(?:niets|niks|geen)", r"(?:nobody|no one|no-one) has (?:emailed|called|replied|responded|rung|contacted|got back)",
    r"(?:instead of|rather than) (?:answering|replying|responding|helping)", r"deleted my (?:comment|post|review|message|question)",
    r"(?:een )?automatisch (?:antwoord|bericht|mailtje)", r"(?:nooit|never) (?:\w+ ){0,2}?(?:antwoord|reactie|reply|response|answer)",
    r"(?:krijg|kreeg|get|got) (?:steeds |alleen |elke keer |only )?(?:een |het |a )?(?:bandje|antwoordapparaat|voicemail|answering machine|recorded message)",
    r"(?:nobody|no one|no-one) (?:ever )?(?:picked up|picks up|calls? (?:me )?back|called (?:me )?back|rang back|rings back)",
    r"no (?:call ?back|callback)", r"geen (?:terugbel\w*|telefoontje)", r"(?:terug ?bellen|call back) (?:\w+ ){0,4}?(?:nooit|never)", r"(?:an )?(?:automated|automatic) (?:reply|response|message|email)",
    r"(?:krijg|krijgen) (?:ik|we) (?:\w+ )?(?:ooit|nog|eens|nog eens|nog ooit) (?:\w+ )?(?:een )?(?:antwoord|reactie|bericht)",
    r"(?:will|do|does|did) (?:i|we|anyone) (?:\w+ )?ever (?:get|hear|receive)",
    r"(?:emailed|e-mailed|mailed|called|rang|phoned|messaged|contacted|written to|wrote to) (?:\w+ ){0,4}?(?:three|four|five|six|\d+) times",
    rf"(?:al |nu al )?(?:{_NUM}|meerdere|zoveel) keer (?:\w+ )?(?:gemaild|gebeld|geappt|gebeld en gemaild|een mail gestuurd|een bericht gestuurd|contact opgenomen)",
    r"(?:contactformulier|formulier|webformulier) (?:\w+ ){0,3}?ingevuld",
    r"(?:doorverbonden|doorgeschakeld|transferred|passed|put through) (?:\w+ ){0,3}?(?:naar|to) (?:een |weer een )?(?:ander|andere|another|a different|yet another)",
    r"geen (?:telefoonnummer|klantenservice|contactgegevens|mens te spreken)", r"no (?:phone number|way to contact|human to talk to)")
# Someone says they waited: a verb of waiting (or queueing, being on hold) with how long.
WAITING = cue(
    "waiting",
    r"wacht(?:en)? al", rf"{_SPAN_NL} (?:gewacht|wachten|in de wacht|in de rij|aan de lijn)",
    rf"(?:sta|staan|stond|zit|zitten|hang|hangen) (?:hier |nu |er )?(?:al )?{_SPAN_NL}",
    rf"(?:wacht|wachten|wachtte) (?:hier |nu |ik |we )?(?:al )?{_SPAN_NL}",
    rf"(?:duurt|duurde) (?:het |dit )?(?:al |nu )?(?:{_SPAN_NL}|eeuwen|ellenlang)", "duurt eeuwen",
    r"still waiting", r"waiting (?:for|since) (?:days|weeks|months|hours|\d+)",
    rf"(?:standing|queuing|queueing|sitting|stuck) (?:\w+ ){{0,5}}?for {_SPAN_EN}", r"(?:week|dag|maand|day|month) \d+ (?:zonder|without)",
    r"(?:jaar|jaren|maanden|weken) op (?:de|een) wachtlijst", r"on (?:the|a) waiting list for",
    rf"(?:we zijn|ik ben|het is) (?:nu |inmiddels )?(?:al )?{_SPAN_NL} verder", rf"why does it take {_SPAN_EN}",
    rf"waarom duurt (?:het|dit) (?:\w+ )?{_SPAN_NL}",
    rf"(?:waited|waiting|queued|stood|on hold) (?:\w+ ){{0,8}}?for {_SPAN_EN}",
    rf"(?:waited|stood|queued) (?:\w+ ){{0,3}}?{_SPAN_EN}", r"been waiting", "waited in", r"took (?:the|a) day off",
    rf"(?:ligt|staat|zit) (?:nu |hier )?al {_SPAN_NL}", rf"(?:probeer|proberen|probeerde) (?:ik |we )?(?:al |nu al )?{_SPAN_NL}",
    rf"al {_SPAN_NL} (?:probeer|proberen|bezig|aan het)", r"(?:de )?hele (?:ochtend|middag|dag|avond|nacht) (?:thuis ?gebleven|gewacht|thuis gewacht)",
    r"thuis ?gebleven voor", rf"(?:trying|tried|been trying) (?:\w+ ){{0,6}}?for {_SPAN_EN}",
    r"(?:wacht|wachten|wachtte|zit|zitten|sta|staan|ligt|liggen|staat) (?:\w+ ){0,3}?sinds", rf"na {_SPAN_NL} nog steeds",
    r"(?:week|dag|day) \d+ (?:of|van) (?:waiting|wachten)", rf"{_NUM_EN} (?:days?|weeks?|months?|hours?) and counting",
    rf"dat was (?:al |nu )?{_SPAN_NL} geleden", rf"that was {_SPAN_EN} ago", rf"held (?:\w+ ){{0,4}}?for {_SPAN_EN}",
    r"te wachten op", r"(?:in de|in een) (?:wachtrij|rij) (?:\w+ ){0,3}?(?:gestaan|gezeten|gehangen)",
    r"sinds (?:\w+ ){1,3}?(?:wacht|wachten|wachtte|staat|staan|ligt|zit)",
    rf"{_SPAN_NL} (?:vertraagd|vertraging|te laat)", rf"{_SPAN_EN} (?:late|delayed|delay)", rf"{_SPAN_NL} thuis ?(?:gebleven|gewerkt|gewacht|gezeten)",
    r"(?:number|nummer) \d+ in (?:the|de) (?:queue|rij|wachtrij)", rf"{_SPAN_NL} (?:op|in|bij) (?:de|het) (?:\w+ )?(?:gezeten|gestaan|gewacht)",
    rf"(?:parcel|package|order|delivery|refund|claim|case|repair|pakket|pakketje|bestelling|levering|terugbetaling|aanvraag|reparatie|melding) (?:\S+ ){{1,6}}?(?:for {_SPAN_EN}|al {_SPAN_NL})", rf"it'?s (?:now )?been {_SPAN_EN} since",
    r"(?:termijn|beslistermijn|deadline) (?:\w+ ){0,3}?(?:verstreken|verlopen|overschreden|passed)",
    rf"(?:{_SPAN_EN}|{_SPAN_NL}) (?:on hold|in the queue|in de wacht|aan de lijn|in de wachtrij)",
    r"(?:komt|komen|gaat|krijg) (?:die|het|hij|ze|dat|ik) (?:\w+ )?(?:nog )?ooit", r"(?:will|is) (?:it|my \w+|this) ever (?:arrive|come|get|be)",
    r"dat was (?:al |dus )?(?:vorige|afgelopen) (?:week|maand|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)",
    r"(?:it'?s|it has|that was) (?:now )?(?:been )?(?:\d+|two|three|four|five|six|seven|eight|nine|ten) (?:days|weeks|months)(?: ago)?[.!]",
    r"(?:status|staat) (?:\S+ ){0,3}?['‘’\"“”]?(?:in behandeling|in progress|pending|processing|under review)")
# How long something has been going on, without saying who waited: weaker on its own.
LASTING = cue(
    "waiting",
    rf"al {_NUM} (?:dagen|weken|maanden|uur|uren)", r"al (?:dagen|weken|maanden)", "nog steeds niet", "nog steeds geen",
    "nog steeds niks", "nog steeds niets", r"still (?:no|not)", rf"(?:for|after) {_NUM_EN} (?:days|weeks|months|hours)",
    rf"(?:you'?ve|you have) had {_SPAN_EN}", rf"(?:jullie hebben|je hebt|u heeft) (?:nu )?(?:al )?{_SPAN_NL} gehad",
    r"takes? (?:ages|forever)",
    r"(?:het is nu|it'?s now|inmiddels) (?:al )?(?:the )?(?:\d+(?:[:.]\d+)?\w*|januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
    r"november|december|january|february|march|may|june|july|august|october)", rf"for {_SPAN_EN} now",
    r"sinds (?:vorige week|gisteren|vanochtend|vanmorgen|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)",
    r"since the \d+(?:st|nd|rd|th)", r"since (?:yesterday|this morning|last week|monday|tuesday|wednesday|thursday|friday|saturday|sunday|easter|christmas)",
    rf"{_SPAN_NL} geleden", rf"{_SPAN_EN} ago",
    r"sinds (?:\d+ )?(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december)",
    r"(?:vandaag|nu) is het (?:al )?(?:de \d+\w*|\w+dag)", r"(?:and )?(?:today|now) it'?s (?:the \d+\w*|\w+day)",
    "nog altijd niet", "nog altijd geen", "nog altijd niks", "nog altijd niets",
    r"(?:ingediend|aangevraagd|gemeld|besteld|gemaild|aangemeld|opgestuurd|submitted|filed|reported|ordered|requested|sent) (?:op|on|in|sinds|since) (?:\d+ )?(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|january|february|march|may|june|july|august|october)")
AGAIN = cue(
    "repeat contact mentioned",
    "alweer", "weer eens", "zoveelste", r"(?:voor )?de (?:\w+de|\w+ste) keer", "nogmaals",
    "opnieuw gebeld", rf"{_NUM} keer (?:gebeld|gemaild|contact)", "again",
    r"(?:third|fourth|fifth|\d+(?:st|nd|rd|th)) time", rf"{_NUM_EN} times",
    r"(?:third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) (?:one|outage|failure|cancellation|delay) (?:this|in a) (?:week|month|year)",
    r"(?:every|each) (?:single )?time (?:i|we)", r"elke (?:keer|dag) (?:als|dat|weer|opnieuw) (?:ik|we)", r"elke\. keer", r"every\. (?:single\. )?time")
WRONG = cue(
    "wrong",
    r"klopt (?:nog steeds |weer |alweer )?niet", r"niet klopt", "onjuist", "onjuiste",
    r"verkeerd\w*", "fout", "fouten", r"wrong", "incorrect", "mistake",
    r"(?:corrigeren|rechtzetten|rechttrekken|terugdraaien|terugboeken|herstellen|crediteren)",
    r"(?:please|could you|can you) (?:\w+ )?(?:fix|correct|reverse|sort out|cancel) (?:this|it|that|the)",
    r"someone else'?s", r"teruggedraaid",
    r"(?:bestelde|besteld|ordered|booked|geboekt|paid for|betaald voor) (?:\S+ ){1,10}?(?:kreeg|kregen|gekregen|got|received|were given|was given)", r"(?:van )?iemand anders", r"in plaats van (?:de|het|een|mijn|onze)",
    r"(?:ordered|besteld|booked|geboekt):\s*(?:\S+ ){1,10}?(?:delivered|received|got|geleverd|gekregen|bezorgd|kreeg):",
    r"(?:ik )?(?:betaal|betalen|betaald|pay|paying|paid) (?:\S+ ){1,8}?(?:en|and|but|maar) (?:\S+ ){0,3}?(?:krijg|kreeg|zit|sta|get|got|am sitting|sit|stand)\b")
# What was promised or paid for did not happen: "was told to return it full ... charged anyway".
BROKEN_PROMISE = cue(
    "broken promise",
    r"(?:stond|staat|zei|zeiden|beloofd|said|says|promised|stated) (?:\S+ ){0,6}?(?:maar|but|then|en nu|op de factuur|instead)",
    r"(?:charged|billed|boarded|sent|cancel+ed|closed|rejected|afgeschreven|gefactureerd|geannuleerd) (?:\S+ ){0,5}?(?:anyway|toch|alsnog)",
    r"(?:booked|ordered|paid for|bought|reserved) (?:a |an |the |our )?['‘’\"“”]\w", r"(?:you|jullie) (?:knew|wisten) (?:this|het|dit|dat)",
    rf"(?:zou|zouden|moest|moesten|would|should) (?:\w+ ){{0,3}}?(?:binnen|within) (?:{_SPAN_NL}|{_SPAN_EN})",
    rf"(?:(?:beloven|belooft|beloofden|beloofd|promise|promises|promised|guarantee|guarantees|garanderen|garandeert) |['‘\"“])"
    rf"(?:\S+ ){{0,4}}?(?:binnen|within) (?:{_SPAN_NL}|{_SPAN_EN}|\d+ ?(?:u|uur|h|hrs?|hours?)\b)")
# A promise word in scare quotes ("die 'gratis' bezorging"): mocking, but a product's quoted name
# too ("Geldt de 'gratis' proefperiode ook in België?"), so it needs other evidence beside it.
SCARE_QUOTES = cue(
    "scare quotes",
    r"['‘\"“](?:gratis|free|levenslang\w*|lifetime|unlimited|onbeperkt\w*|gegarandeerd\w*|guaranteed|express|same[- ]day|"
    r"snelle?|fast|24/7|altijd op tijd|always on time)\b")
PROBLEM = cue(
    "problem",
    r"geblokkeerd", "ingeslikt", r"kwijt(?:geraakt)?", "vermist", "geweigerd", "weigert", "weigeren",
    "afgewezen", r"niet (?:vergoed|terugbetaald|gecorrigeerd|aangepast|verwerkt|doorgegeven)", "vertraagd",
    r"(?:vlucht|trein|rit|bus|concert|voorstelling|afspraak|bestelling|reservering|boeking|levering) "
    r"(?:is |werd |wordt |zomaar |gewoon )?(?:\w+ )?(?:geannuleerd|geschrapt|verplaatst)",
    "overboekt", r"(?:was |helft |eten )(?:\w+ )?koud", "doorweekt", "te laat", r"(?:veel|véél) te duur",
    r"prijs ?verhoging\w*", r"zonder (?:enige |enig |een )?(?:uitleg|bericht|waarschuwing|aankondiging)",
    r"geen (?:enkele )?uitleg", r"(?:fout|mis) ?(?:gegaan|gaat|ging)", r"boete\w*", "aanmaning", "incasso",
    r"kan (?:\w+ ){0,3}?niet (?:meer )?(?:inloggen|betalen|pinnen|bellen|downloaden|bestellen|afrekenen|opladen|"
    r"verbinden|streamen|inchecken|uitchecken|bereiken|openen)", r"nog (?:steeds|altijd) (?:mijn|het|de|een|op|naar|in)",
    r"reed (?:gewoon )?(?:door|voorbij)", "niet gestopt", r"(?:niet|nooit) (?:komen )?opdagen", "niemand van jullie",
    r"(?:klopt|klopte) (?:helemaal )?niks", r"(?:ineens|zomaar) (?:\w+ ){0,2}?(?:verhoogd|geblokkeerd|afgesloten|verdwenen|weg)",
    "blocked", r"locked (?:out|me out)", r"(?:account|card|pass) (?:is |was |got )?(?:locked|blocked|frozen|declined|swallowed)",
    r"logged (?:me )?out", "swallowed", r"refused|rejected|denied|declined", "delayed", r"delays?",
    r"(?:flight|train|bus|order|booking|reservation|concert|show|appointment|delivery) (?:\w+ ){0,5}?"
    r"(?:was |got |has been |have been |is )?cancel+ed", "overbooked", "bumped", r"no (?:compensation|refund|explanation|apology)",
    r"without (?:any |an? )?(?:explanation|notice|warning|apology)", r"price (?:increase|hike|rise)\w*", r"(?:tripl|doubl)\w+ my",
    r"still (?:going to|showing|charging|taking|takes|sending|shows|says|listed|not|no|broken|waiting|stuck)",
    r"keeps? (?:logging|crashing|failing|dropping|charging|sending|cancelling|cutting)",
    r"(?:can'?t|cannot|unable to|couldn'?t) (?:log ?in|sign in|pay|access|connect|check ?in|get through|reach)",
    r"(?:gave|given) (?:it |our \w+ |my \w+ )?away", r"stuck (?:at|in|on)", "stranded", r"(?:no one|nobody) (?:told|informed)",
    r"(?:was|were|is|arrived) (?:\w+ )?(?:cold|soaked|wet|smashed|crushed)", r"(?:ran|run|running) out of",
    r"is (?:now )?on day \d+", r"(?:late|delayed) again", r"(?:gestolen|stolen)", r"(?:beschimmeld|schimmel)",
    r"zonder (?:het te vragen|te vragen|toestemming|overleg|mijn toestemming)", r"without (?:asking|my (?:consent|permission))",
    rf"(?:{_SPAN_NL}|{_SPAN_EN}) (?:te laat|late|vertraagd|vertraging|delayed|delay)", r"(?:started|began|arrived|left) (?:\w+ ){0,2}?late",
    r"(?:you|jullie) (?:\w+ )?(?:cancel+ed|geannuleerd|afgezegd)", r"(?:ate|swallowed|kept) my (?:card|pass|ticket|money)",
    r"never (?:bought|ordered|signed up|asked for|agreed)", r"(?:nooit|niet) (?:besteld|gekocht|afgesloten|aangevraagd)",
    r"als dit zo doorgaat", "rips? (?:me|us) off",
    r"niet (?:geleegd|opgehaald|opgeruimd|gerepareerd|gemaakt|nagekomen|gebeld|bezorgd|geleverd)", r"(?:staat|stond) (?:er )?(?:\w+ )?niks",
    r"(?:eten|friet|patat|pizza|maaltijd|food|burger|soep|koffie|fries)s? (?:\w+ )?(?:koud|lauw|cold|stone cold)",
    r"(?:over het hek|in de struiken|voor de deur|in de bosjes|over the fence|in the bushes) (?:\w+ )?(?:gegooid|geworpen|thrown|dumped|left)",
    r"(?:gegooid|thrown|chucked) over", r"verschillende (?:antwoorden|verhalen)", r"(?:different|another) (?:answer|story) (?:each|every)",
    r"for nothing", r"voor (?:niks|niets) (?:gekomen|gereden|gewacht|thuisgebleven)", r"(?:come|kom|terugkomen) (?:back )?(?:tomorrow|morgen)",
    r"(?:no one|nobody|niemand) (?:told|informed|mentioned|zei|meldde|vertelde|had)", "sneaky",
    r"niemand heeft (?:\w+ ){0,3}?(?:gevraagd|verteld|gemeld|laten weten|gebeld)", r"logged (?:\w+ )?out",
    r"(?:was |been |got |is |werd )?(?:rescheduled|omgezet|verzet|moved from|changed from)", r"missed (?:our|my|the) (?:flight|train|connection|bus|appointment|ferry)",
    r"cut (?:us |me |it )?off", r"afgesloten", r"went (?:up )?from [£€$]?\d+", r"van [€£$]?\d+(?:,\d+)? naar [€£$]?\d+",
    r"(?:prijs|prijzen|tarief|abonnement) (?:\w+ )?(?:weer |alweer |ineens |opeens )?(?:omhoog|verhoogd)", r"(?:price|prices|bill|premium|quote) (?:\w+ )?(?:went |gone |goes )?up",
    r"(?:rekent|rekenen|rekende) (?:\w+ )?(?:ineens|opeens|nu|zomaar)", r"niet eens", r"(?:didn'?t|did not|doesn'?t|does not|couldn'?t) even", r"not even",
    r"(?:niet|not) (?:meer )?(?:op voorraad|in stock|beschikbaar|available)", r"ended up (?:standing|paying|waiting|sleeping|stuck|having to)",
    r"(?:couldn'?t|could not|can'?t) (?:see|hear) (?:a thing|anything)", r"(?:had|have) to pay (?:for )?(?:a |an )?(?:taxi|hotel|extra|£|€|\$)",
    r"voor (?:m'?n|mijn|onze) neus (?:weg|dicht)", r"(?:op het laatste moment|last minute) (?:\w+ ){0,2}?(?:omgezet|gewijzigd|geannuleerd|changed|cancel+ed)",
    r"(?:vorig jaar|vorige maand|eerst|voorheen|last year|last month|used to be) (?:nog |was |only |just )?[€£$]\s?\d",
    r"(?:meer|more) (?:betaal|betalen|pay|paying) (?:\w+ ){0,2}?(?:dan|than) (?:een |a )?(?:nieuwe|new) (?:klant|klanten|customer|customers)",
    r"(?:voor een|voor de|voor een gesloten|at a) (?:dichte|gesloten|closed|locked) (?:deur|door)",
    r"(?:schreeuwt|schreeuwde|scheldt|schold|snauwt|snauwde|yelled|shouted|screamed|snapped) (?:\w+ ){0,2}?(?:tegen|uit|at)")
MONEY = cue(
    "money",
    "geld terug", r"terugbetal\w*", "dubbel betaald", r"twee ?keer betaald", "te veel betaald",
    r"(?:dubbel|onterecht) afgeschreven", r"(?:nog steeds|nog altijd|toch|weer) (?:\S+ ){0,4}?afgeschreven",
    "extra kosten", r"verborgen kosten", "refund", "money back", r"charged (?:twice|double)",
    "overcharged", "hidden fees", r"(?:cancellation|admin|administration|booking|late|service) (?:\w+ )?(?:fee|charge)s?",
    r"(?:annulerings|administratie|verzend|service|reserverings)kosten", r"geld (?:weggegooid|kwijt)", r"charged (?:me )?(?:\w+ )?(?:times|twice|double|again|for)", r"(?:still|keep|keeps) (?:takes|charges|taking|charging|billing)", r"(?:still|keep) (?:taking|charging|billing)", r"extra (?:costs|charges|fees)", r"(?:got |was |were |been )charged", r"in rekening gebracht")
COMPLAINT_WORDS = cue(
    "complaint word",
    r"klacht\w*", r"klaag\w*", "klagen", "opgelicht", r"oplicht\w*", "schandalig", "waardeloos",
    "waardeloze", "belachelijk", "klantonvriendelijk", "slechte service", "slechte klantenservice",
    "nooit meer", "teleurgesteld", "onacceptabel", "bedankt voor niks", "bedankt voor niets",
    r"(?:dank (?:je|u|jullie)|dankjewel|dankuwel)(?: wel)? voor (?:niks|niets)",
    r"(?:niet|totaal niet|helemaal niet|allesbehalve) tevreden", "ontevreden", r"(?:echt |gewoon )?niet te doen",
    r"niet normaal(?! (?:lekker|goed|mooi|leuk|snel|vet|gaaf|blij|tof|aardig|vriendelijk))", "doe normaal", "dikke vinger", "klaar mee", r"(?:niet|totaal niet) blij", "diep triest",
    "kinderachtig", "dit kan (?:echt )?niet", r"nog (?:één|een) keer (?:zo'?n|dit|dat|zoiets)",
    r"one more (?:time|mistake|bill|delay)(?: like this)? and", r"hoe (?:vaak|lang) (?:moet|moeten) (?:ik|we)",
    r"zo slecht", r"(?:echt|heel|erg) slecht", r"eigen schuld",
    "complaint", "complain", "scam", "ripoff", "rip off", "unacceptable", r"disgrace\w*",
    "never again", "worst", "terrible service", "disappointed", r"not (?:happy|impressed|good enough)",
    r"how (?:does|did|can|could) (?:this|that) (?:even )?happen", "sort it out", r"seriously\?+",
    "gutted", "shambles", "absolute joke", "this is a joke", "fuming", "beyond frustrated", "shocking",
    r"(?:is this|this is) how you treat", r"(?:you|jullie) (?:treat|behandelen) (?:\w+ ){0,3}?(?:worse|slechter|like)", r"i'?m done", r"klaar met (?:jullie|je|u)", "smoesjes", "om te huilen",
    "lachwekkend", "wat een drama", "echt balen", "zo irritant", r"schandal\w*", r"wanprestatie", r"hallo+\?+", r"hello+\?+",
    r"(?:nobody|no one|no-one|niemand) (?:seems to |lijkt (?:het )?)?(?:care|cares|geeft erom|interesseert het)",
    r"(?:echt |erg |heel |zo |wel )?jammer dat (?:jullie|je|u)\b", r"(?:is dit|als dit) (?:de manier )?(?:is )?(?:hoe|waarop) jullie (?:\w+ ){0,3}?(?:omgaan|behandelen)",
    r"ben ik (?:nou |nu )?de enige die", r"am i the only one (?:who|that)")
LEGAL = cue(
    "legal threat",
    "advocaat", "advocaten", r"rechtszaak\w*", r"juridisch\w*", "rechter", "rechtbank",
    "consumentenbond", "geschillencommissie", "dagvaarding", r"ingebrekestelling\w*", "aangifte",
    "ombudsman", "autoriteit consument", "acm", r"lawyers?", "attorney", "sue", "suing",
    "lawsuit", "legal action", "court", "small claims", r"police ?report",
    "skgz", "kifid", "autoriteit persoonsgegevens", r"(?:maak|maken|teken) (?:ik |we )?bezwaar",
    "juridische stappen", "sommatie", r"(?:report(?:ed|ing)?|complain(?:ed|ing)?) (?:\w+ ){0,4}?to (?:the )?(?:acm|regulator|ombudsman)",
    "trading standards", "consumer (?:authority|protection)", r"rechtsbijstand\w*", "legal aid", "legal insurance",
    "ombudsman", "klachtencommissie", "huurcommissie", "small claims court", r"solicitors?", r"claims? (?:firm|company|management)", r"(?:claim|claiming) (?:\w+ ){0,3}?back through", "dwangsom")
SAFETY = cue(
    "safety risk",
    "gevaarlijk", "gevaarlijke", "levensgevaarlijk", "gevaar", "gewond", "gewonden", "(?<!per )ongeluk",
    "ongeval", "letsel", r"vergiftig\w*", "allergische reactie", r"ontplof\w*", "kortsluiting",
    "rookontwikkeling", "gaslucht", "gaslek", r"(?:in het|(?<!bus )(?<!tram )(?<!trein )(?<!route )(?<!weg )naar het|op de) (?:ziekenhuis|spoedeisende hulp|eerste hulp|spoedpoli)",
    "brandwonden", "unsafe", "dangerous", r"niet (?:meer )?veilig", r"(?:is|was) (?:het )?(?:nou |wel )?veilig", "aangereden",
    r"tegen de (?:grond|hekken|muur) (?:\w+ )?(?:gewerkt|gedrukt|geduwd|geslagen)", r"(?:bruin|vies|troebel) (?:kraan)?water",
    r"(?:water|kraanwater) (?:\w+ ){0,4}?(?:bruin|ruikt raar|stinkt)", r"bijna (?:\w+ ){0,4}?(?:de straat op|het spoor op|het water in|aangereden|gestikt|gevallen)",
    "voedselvergiftiging", r"(?:ruik\w*|rook|roken) (?:\w+ ){0,3}?gas", r"gas (?:lucht|ruiken|lekt)", r"lekt (?:\w+ )?gas",
    "koolmonoxide", r"co-?melder", "brandweer", "ambulance", "112", "seh", "spoedeisende hulp",
    "eerste hulp", r"flauw ?gevallen", "onwel", "bewusteloos", "onveilig", r"allergi\w+ reactie",
    r"anafylact\w*", r"(?:stukje|stukjes|scherven) glas", r"glas in (?:mijn|het|de|ons)",
    r"(?:draden|bedrading) (?:steken |hangen )?(?:uit|los|bloot)", "vonken", "blauwe plek",
    r"(?:ziek|misselijk) (?:geworden|geweest)", "overgeven", r"overgegeven", "gebraakt", "brandplekken", "verbrand",
    r"koolmonoxide\w*", r"vonk\w*", r"uitgegleden", r"(?:gevallen|gestruikeld) (?:over|van|op)", r"(?:bijna|had) (?:\w+ ){0,5}?ingeslikt",
    r"verstik\w*", "zuurstof", "beademing", "blaren", "kokend", r"(?:houdbaarheids)?datum (?:\w+ ){0,3}?verlopen",
    r"remmen (?:\w+ )?(?:weigerden|werkten niet|deden het niet)", r"kabels? (?:los|bloot)", "gedrang", "verdrukking", r"(?:geslagen|geduwd) door",
    "slipped", r"tripped (?:over|on)", r"fell (?:off|over|down|from)", r"went over the handlebars", r"(?:cable|chain|strap|frame|brake|handle|wheel|seat)s? (?:\w+ )?snapped", r"brakes? (?:failed|snapped|gave)",
    "boiling", "blisters", r"scald\w*", r"choking hazard", r"(?:past|beyond) (?:its|the) (?:use[- ]by|expiry)", r"expired (?:baby|infant|food|milk|formula|medicine)",
    "stampede", r"(?:punched|assaulted|shoved) (?:me|my)", "hit me", "oxygen",
    "injured", "injury", "accident", "poisoning", r"(?:in|to|into) (?:the )?(?:hospital|a&e|er)",
    r"(?:brakes?|steering) (?:\w+ )?(?:don'?t|didn'?t|won'?t|doesn'?t|do not|did not) work", r"warning lights?", r"(?:not|isn'?t|wasn'?t) safe", r"explod\w*", "caught fire",
    "on fire", "smoke", r"(?:started|was|is|began|kept) smoking", "fire brigade", "fire department",
    "burn marks", "burned", "burnt", "gas leak", r"smel\w* (?:of |like )?gas",
    "gas smell", "carbon monoxide", "electric shock", "choking", "unconscious", "fainted",
    r"collaps(?:e|ed|ing)", r"allergic reaction", r"(?:severe )?(?:peanut|nut) allergy", "epipen",
    r"anaphyla\w*", r"(?:a&e|emergency room)", r"(?:shards|pieces?) of glass", "sparks", "sparking",
    r"(?:verkeerde|wrong) (?:\w+ ){0,2}?(?:dosering|dosis|sterkte|medicijn\w*|medicatie|pillen|dose|dosage|strength)",
    r"(?:hart|insuline|epilepsie|levensreddende )?medicatie (?:\w+ ){0,2}?op", r"(?:medication|medicine|insulin|inhaler|prescription) (?:\w+ ){0,2}?(?:runs?|ran|running) out",
    r"(?:water|lekkage|lekt|leaking|leaks) (?:\w+ ){0,5}?(?:stopcontact|meterkast|elektr\w*|bedrading|socket|fuse ?box|wiring)",
    r"brandgevaar\w*", "fire hazard", r"fire (?:alarm(?!s? test)|exit|escape|door)s?", r"nooduitgang\w*", "brandalarm",
    r"(?:looks|seems|is|was|werd|wordt|ziet er) (?:\w+ )?(?:really |very |erg |heel )?(?:unwell|onwel)", r"violently (?:sick|ill)", r"(?:been|being) sick",
    r"(?:remt|remmen|brakes?) (?:\w+ )?(?:niet|slecht|failed|don'?t|not working)", r"bijna (?:\w+ ){0,4}?(?:onder|aangereden|geraakt)",
    r"(?:band|tyre|tire) (?:\w+ )?(?:klapte|klapt|burst|blew)", r"(?:klapte|blew|burst) (?:de |the |a |my )?(?:band|tyre|tire)",
    r"wheel (?:\w+ )?(?:came|fell) off", r"wiel (?:\w+ )?(?:eraf|los)", r"(?:wheel nuts|wielmoeren|wielbouten)",
    r"(?:came|come|comes|kwam|komt) loose", r"(?:head|hand|finger|arm|leg|hoofd|vinger) (?:\w+ )?(?:stuck|klem|bekneld)",
    r"grabbed (?:him|her|me|my \w+) by", r"(?:vastgegrepen|geschopt|mishandeld)",
    r"(?:downed|fallen) (?:power )?(?:line|cable)s?", r"(?:power line|powerline|hoogspanningskabel|stroomkabel)s?",
    r"(?:speeding|te hard|on (?:his|her|their) phone) (?:\w+ ){0,6}?(?:school|kinderen|children|zone)",
    r"(?:met|trekt|trok|zwaait|zwaaide|heeft) (?:een |zijn |z'n )?(?:mes|wapen|pistool|vuurwapen)", r"messteek\w*", "neergestoken",
    r"(?:with|pulled|waving|holding|carrying|has) (?:a |an )?(?:knife|gun|weapon)", "stabbed", "armed", r"(?:alleen|zonder begeleiding) (?:\w+ ){0,2}?achtergelaten", r"left (?:alone|behind) (?:on|in|at)",
    r"(?:nearly|almost) (?:\w+ )?(?:fell|fall|fallen|tripped|hit|run over|electrocuted|drowned|choked|crushed)",
    r"(?:batterij\w*|magneet\w*|knoopcel\w*|button batter\w*|magnets?) (?:\w+ ){0,3}?(?:ingeslikt|swallowed)",
    r"(?:wrong|someone else'?s) (?:\w+ ){0,2}?(?:medication|medicine|pills|prescription)", "got sick", "were ill",
    # first-aid and hazard vocabulary, after the categories of a first-aid course and an incident
    # register (injuries, collapse, electricity, structures, ice, food, water, crowds, rides,
    # vehicles, alarms for the vulnerable); each specific enough not to fire on a broken product
    r"bloed(?:t|de|den|end|ende)", "hechtingen", r"(?:arm|been|pols|enkel|neus|ribben|rib|sleutelbeen|heup) (?:\w+ )?gebroken",
    r"gebroken (?:arm|been|pols|enkel|neus|ribben|rib|sleutelbeen|heup)", "botbreuk", "hersenschudding", "spoedpoli",
    "onder stroom", "stroomschok", r"elektrocut\w*", "instortingsgevaar", r"ingestort\w*",
    r"(?:plafond|balkon|dak|steiger|podium|tribune|trap|brug|stellage) (?:\w+ ){0,4}?(?:ingestort|naar beneden gekomen|bezweken|wiebel\w*|wankel\w*|doorgezakt|zakte door)",
    r"(?:boom|hek|hekken|lantaarnpaal|tak|dakpannen|reclamebord) (?:\w+ ){0,3}?(?:omgevallen|omgewaaid|naar beneden)",
    r"losse? (?:stoeptegels?|traptreden?|trapleuning|leuning)", r"(?:open|openstaande|onafgedekte) (?:put|putten|mangat|schacht)",
    "gladheid", "ijzel", "spiegelglad", "ijsbaan", r"(?:niet|nergens|nooit) gestrooid", r"(?:bijna|kind|iemand|zien) (?:\w+ ){0,4}?verdrink\w*",
    r"verdronk\w*", "verdronken",
    r"onderuit ?(?:gegaan|gaat|gaan|ging|gingen|gleed|gegleden)",
    "giftige", "chemicaliën", r"chemische (?:lucht|geur|stank)", "legionella", "asbest", "salmonella", "listeria",
    r"rauwe? (?:kip|kipfilet|vlees|gehakt|varkensvlees)", r"(?:niet|half) gaar", "hitteberoerte", "zonnesteek",
    r"uitdroging\w*", r"reanim\w*", "aed", "ehbo", r"epileptische aanval\w*", "hartaanval", "hartstilstand",
    r"astma-?aanval\w*", "duizelig", "kortademig", r"(?:\d\d(?:[,.]\d)? graden|hoge) koorts", "onder de voet gelopen", r"vertrapt\w*",
    r"veiligheids(?:beugel|gordel|bril|hek|klep)\w* (?:\w+ ){0,4}?(?:niet|los|kapot|open)", r"(?:rook|ruik|ruikt|roken|stinkt) (?:\w+ ){0,6}?(?:benzine|diesel)",
    r"(?:benzine|diesel) ?lucht", r"geschept (?:door|van)", r"(?:fiets|fietser|kind|voetganger) (?:\w+ ){0,3}?geschept",
    r"geen (?:badmeester|toezicht bij het (?:zwem)?bad|strandwacht)", r"zonder (?:werkende )?(?:alarmknop|noodknop|personenalarm|alarmering)",
    r"(?:alarmknop|noodknop|personenalarm)\w* (?:\w+ ){0,4}?(?:werkt niet|kapot|doet het niet)",
    r"(?:zwanger|pregnant|zwangerschap|pregnancy) (?:\S+ ){0,15}?(?:middel|medicijn\w*|medicatie|pillen|bijsluiter|medication|medicine|pills|leaflet)",
    "bleeding", "stitches", r"broken (?:arm|leg|wrist|ankle|nose|ribs?|collarbone|hip)", "concussion", r"electrocut\w*",
    r"exposed (?:wires?|wiring|cables?)", "live wire",
    r"(?:ceiling|roof|balcony|scaffolding|stage|stand|stands|stairs|bridge) (?:\w+ ){0,3}?(?:collapsed|caved in|gave way|came down|wobbl\w*|sway\w*)",
    r"(?:tree|fence|lamp ?post|branch|sign|barrier) (?:\w+ ){0,3}?(?:fell|blew over|came down|toppled)", "sinkhole", "black ice",
    r"(?:icy|ungritted|slippery) (?:path|pavement|steps|stairs|platform|floor)", "fumes", "asbestos",
    r"(?:nearly|almost|could have|child|kid|boy|girl|someone|son|daughter) (?:\w+ ){0,2}?drown\w*", "drowned",
    r"chemical (?:smell|odou?r|stench)", "dizzy", r"short of breath", r"asthma attacks?", r"(?:high|\d\d(?:\.\d)? degree) fever",
    r"(?:raw|undercooked) (?:chicken|meat|pork|burger|mince)", "heatstroke", "heat stroke", r"dehydrat\w*", "cpr",
    "defibrillator", "seizure", "heart attack", "cardiac arrest", "crowd crush", r"crushed (?:against|at the)", r"trampl\w*",
    r"(?:no|without a|without any) lifeguards?", r"safety (?:bar|harness|belt|restraint)s? (?:\w+ ){0,4}?(?:not|didn'?t|wasn'?t|loose|open|broken)",
    r"smel\w* (?:of |like )?(?:petrol|fuel|diesel)", r"(?:alarm|panic|emergency) (?:button|pendant)s? (?:\w+ ){0,4}?(?:not|doesn'?t|didn'?t|broken)",
    r"swerv\w*", r"(?:texting|on (?:his|her|their) phone|phone in (?:his|her|their) hand) (?:\w+ ){0,4}?(?:while driving|at the wheel|the (?:whole|entire) (?:time|way|trip)|on the motorway|on the highway)",
    r"(?:zat|zit) (?:\w+ ){0,3}?te (?:appen|bellen) (?:\w+ ){0,3}?(?:achter het stuur|tijdens het rijden|op de snelweg)", r"achter het stuur (?:\w+ ){0,3}?(?:appen|bellen|telefoon)",
    r"(?:slingerde|slingerden|zigzagde)", r"(?:door rood|through a red light)")
# "brand" is fire in Dutch but a brand in English; "uit de brand helpen" is an idiom (to rescue)
SAFETY_NL = cue("safety risk", "(?<!uit de )brand", "brandje", "vlam gevat", r"in brand", langs=("nl",))
CHURN = cue(
    "refund/cancel/churn",
    "geld terug", r"terugbetal\w*", r"terug ?storten", "opzeggen", r"opzegging\w*",
    r"zeg\w* (?:mijn|het|ons) \w+ op", r"zeg (?:ik|we) (?:\w+ ){0,2}?op", r"(?:heb|hebben) (?:ik|we) (?:\w+ ){0,3}?opgezegd",
    "overstappen", r"stap(?:pen)? (?:ik |we )?over", r"(?:ik|we) zeg(?:gen)? (?:\w+ )?op\b", r"(?:ik|we) (?:heb|hebben) (?:\w+ ){0,5}?(?:opgezegd|beëindigd|stopgezet|geannuleerd)",
    r"(?:heb|hebben) (?:ik|we) (?:\w+ ){0,5}?(?:beëindigd|stopgezet|geannuleerd)",
    r"(?:ga|gaan) (?:\w+ )?over naar", r"ik ben (?:hier |er )?klaar mee", "als dit zo doorgaat", r"nooit meer (?:\w+ )?(?:bij|naar|met|via)", r"nooit meer(?=\s*(?:[.!]|$))", "klant af", "laatste keer",
    r"(?:ik )?(?:bestel|koop|boek|ga) (?:\w+ )?(?:voortaan|wel|liever|dan maar) (?:bij|naar) (?:de concurrent|\w+)",
    r"(?:mijn|het|ons) geld (?:\w+ ){0,2}?terug", r"refund\w*", "money back",
    r"(?:want|get) (?:my|our|every|all|the) (?:\S+ )?(?:back)",
    r"(?:cancel|cancelling|canceling) (?:my|our)", r"(?<!has )(?<!have )(?<!had )(?<!you )(?<!they )cancel+ed (?:my|our)",
    r"(?:i'?m|i am|i will|i'?ll|going to|gonna) cancel\w*", r"(?:i'?m|i am) (?:switching|leaving)", r"(?:i'?m|i am) moving (?:banks|providers|insurers|networks|over|my)", r"moving (?:banks|providers|insurers|to)",
    "unsubscribe", r"switching (?:to|insurers|banks|providers)", "never again", "chargeback", "lost a customer",
    r"never (?:coming|going|ordering|flying|shopping|buying) (?:back|again|here|with)", r"won'?t be (?:back|coming back|ordering|using)",
    "close my account", r"(?:i'?ve|i have|we'?ve|we have) (?:already )?gone elsewhere", r"(?:go|going|take|taking) (?:my|our) (?:\w+ )?(?:business |money )?elsewhere",
    r"last time i (?:fly|book|order|shop|use|buy|stay|travel|eat)", r"(?:i'?m|i am|we'?re) off", r"moving my (?:\w+ )?(?:to|elsewhere)",
    r"(?:to|with) (?:another|a different|a new) (?:bank|provider|network|supplier|insurer|airline|company|shop)",
    r"opgezegd", "overgestapt", r"booked (?:\w+ )?(?:somewhere else|elsewhere|another (?:hotel|room|flight))",
    r"last time i (?:pick|choose|chose|use|order)", r"(?:bij|naar) (?:een )?(?:andere|ander) (?:bank|provider|aanbieder|leverancier|verzekeraar|festival|winkel|webshop|maatschappij|club)",
    r"(?:voortaan |dan )?(?:wel )?ergens anders", r"(?:rekening|account|abonnement) (?:\w+ ){0,3}?geopend bij (?:een )?(?:andere|de concurrent)",
    r"naar de concurrent", r"(?:hoeven|zien|hoef|zie) (?:jullie|je|u) (?:mij|ons) (?:\w+ )?(?:niet meer|nooit meer|nooit weer)",
    r"(?:stop|stoppen) (?:ik|we) ermee", r"ik stop ermee", r"switching (?:\w+ )?(?:next|at the end of)",
    r"cancel\w* (?:it |my \w+ |the \w+ )?(?:completely|altogether|entirely|for good)", r"(?:downgraded|downgrading|downgrade) (?:to|my)")
PRESS = cue(
    "press",
    "journalist", "journalisten", r"verslaggev\w+", "redacteur", "correspondent", r"omroep\w*", "redactie", "pers", "de krant", "het nieuws", "radar",
    r"(?:naar|aan|bij) kassa", r"kassa (?:ge\w+|in\w+|mailen|bellen)", "telegraaf", "volkskrant",
    "rtl nieuws", "de nos", r"(?:naar|de) media", "media inschakelen", "opsporing verzocht",
    "reporter", "press", "newspaper", "the news", "media attention", r"local (?:paper|news|radio|tv)",
    "watchdog", r"(?:go|going|went) to the (?:media|papers|press)", "the papers", r"(?:go|going|gone|gaat|gaan) viral", r"\d+k (?:views|weergaven)",
    r"(?:tv|radio)[- ]?programma", r"(?:mail|bel|tip|stuur)\w* (?:\w+ )?(?:de )?(?:krant|omroep|kassa|radar)")
THANKS = cue(
    "thanks",
    "bedankt", r"dank (?:je|u|jullie)(?: wel)?", "dankjewel", "dankuwel", "hartelijk dank",
    "merci", "thanks", "thank you", "thx", "cheers", "shoutout", "shout out", "props", "kudos", r"dank (?:aan|voor)", r"dank(?:!+|\.)", r"huge thanks", r"thanks to (?:the|your)", "dikke pluim",
    r"petje af", "hulde")
COMPLIMENT = cue(
    "compliment",
    r"(?<!on )(?<!the )(?<!at )(?<!over )top(?! up| of| ten| \d)", "toppie", r"topper\w*", r"compliment(?:en|je|jes)?", "chapeau", r"kanjers?", "held", "helden",
    r"(?:goed|snel|super|prima|fijn) geholpen", "aanrader", "tevreden", "goed opgelost",
    r"great (?:service|job|help)", "well done", "awesome", "amazing", r"love (?:it|you)",
    r"(?<!would )(?<!'d )(?:love|loving|loved) (?:the|your|this|these|our|my) (?:new )?\w+",
    "helpful", "excellent", r"(?:snel|keurig|netjes|prima|goed) (?:geleverd|bezorgd|opgelost|geregeld)",
    r"(?:blij|tevreden) mee", r"(?:zeker|graag) (?:weer|nog eens)", r"(?:geen (?:enkel |enkele )?(?:probleem|problemen|klachten|gedoe|gezeur|storing|storingen|discussie))",
    "zonder gedoe", r"zo kan het (?:dus )?ook", "keurig", r"(?:brilliant|fantastic|superb|outstanding)", r"(?:absolute|total) (?:star|legend)s?",
    r"nailed it", "hands down", "vlekkeloos", r"niets? (?:te|op aan te) (?:klagen|merken)", r"would (?:definitely )?recommend",
    r"aan te raden", r"nice one", r"(?:real )?mvps?", r"not one (?:issue|problem)", r"best \w+ (?:i'?ve|ever|in town)",
    r"(?:een|a) (?:dag|day) (?:eerder|early|te vroeg)", r"hoe doen jullie (?:dat|het)", r"never (?:had|have) (?:a|any) (?:problem|issue|bad)", "no questions asked", "so quickly",
    r"(?:zo|super|heel) snel (?:geholpen|geleverd|bezorgd|opgelost|gereageerd|geregeld)",
    "probleemloos", "zonder problemen", r"(?:problem|issue) (?:sorted|solved|fixed|resolved)", "legend",
    r"can'?t fault", "no complaints", r"not a (?:single )?(?:issue|problem)", r"(?:will|would) (?:definitely )?(?:order|come|book|buy) (?:again|back)",
    r"best (?:customer )?service", r"(?:made|make) my (?:day|week)", "lifesaver", "spot on",
    r"good job", r"goed gedaan", r"above and beyond", "verademing", r"(?:so|zo|super|really|echt|heel) (?:well|goed) (?:organised|organized|georganiseerd|geregeld)",
    r"best \w+ (?:\w+ )?i'?ve (?:ever )?had", r"worth (?:the trip|every)", r"(?:zero|no) hassle", r"saved my (?:day|trip|flight|life|holiday|evening)",
    r"(?:echt|bizar|super|zo) (?:chill|lekker)", r"10/10",
    r"dikke prima", r"(?:een )?pluim (?:voor|aan|naar)", r"(?:verdient|verdienen) (?:een )?(?:opslag|pluim|compliment|medaille|bonus|raise|medal)",
    r"hats off", r"no notes", r"dat noem ik (?:nog eens )?(?:service|klantvriendelijk\w*|snel)", r"(?:ging|verliep|verlopen|gegaan) (?:echt |super |heel |zo )?soepel",
    r"(?:zo|super|heel|erg) geduldig", "flawless", r"(?:went|ran) (?:really |super |so )?smoothly", r"(?:ik ben|i'?m) verkocht")

# A failure that has been put right ("werkt weer", "problem solved"): praise, not a complaint.
# The lookbehinds keep "niet snel opgelost" and "not fixed" out.
RESOLVED = cue(
    "resolved",
    # "is het opgelost" is the word order of a question ("Wanneer is dit opgelost?")
    r"(?<!niet )(?<!nog )(?:is|was|werd|meteen|direct|snel|keurig|netjes|binnen \w+ \w+) (?!dit |het |dat |die |er )(?:\w+ )?opgelost(?!\s*\?)",
    r"probleem (?:is |was )?(?:opgelost|verholpen)", r"werkt (?:nu |alles |het )?weer", r"(?:alsnog|toch nog) (?:geleverd|bezorgd|ontvangen|binnen)",
    r"(?<!not )(?<!never )(?:fixed|sorted|solved|resolved)(?: it| out| now| in| within| quickly| straight away)?",
    r"works (?:again|now)", r"(?:is|are|was) back (?:up|online|on)",
    r"(?:terugbetaling|vergoeding|geld|refund|compensation) (?:\w+ )?(?:kwam|was|is|came|arrived) (?:\w+ ){0,2}?(?:snel|binnen|quick|quickly|fast|within)",
    r"vergoed gekregen", r"(?:got|received) (?:my|a|the) (?:refund|money back|replacement)")
# Praise words that mock when the message reports a failure: "Top service hoor 🙄", "Bedankt he."
MOCK_PRAISE = cue(
    "mock praise",
    r"(?:top|geweldig|fantastisch|super|prima|knap|netjes|mooi|leuk|heerlijk|lekker|goed|gezellig|bedankt|dank je wel|dankjewel)"
    r"(?: \w+)? (?:hoor|h[eèé])", r"(?:lekker|goed) bezig", r"(?:nou|zo),? lekker", "lekker dan", "echt top dit",
    r"fun times", r"love (?:it|how|that)", r"(?:oh |just |how )?great,", "just great", "really appreciate it",
    r"amazing\. truly", r"thanks (?:a lot|a bunch|so much) for", r"wow,? thanks", r"alvast bedankt",
    r"(?:wonderful|great|fantastic|brilliant|perfect|lovely|nice|geweldig|fantastisch|prachtig|heerlijk|fijn)[.!,]",
    r"fijn dat (?:ik|je|we)", r"(?:very|how|so) (?:clever|convenient)", r"top work", r"weer een (?:heel |echt )?(?:soepel|fijn|geweldig|top)",
    r"ja hoor", r"oh (?:wat|hoe) (?:fijn|leuk|mooi|handig)", r"wederom (?:een )?(?:fantastische|geweldige|top|topervaring|heerlijke)",
    r"cheers for nothing", r"(?:geweldig|fantastisch|top|super|prachtig|great|brilliant|fantastic|lovely) (?:weer|again)",
    r"(?:wat |how )?(?:fijn|leuk|handig|nice|lovely|great) dat (?:mijn|de|het|je|jullie|ons|onze)",
    r"wat een (?:service|klantvriendelijkheid|topservice|top service|klantenservice) (?:weer|alweer|hoor)",
    r"(?:grappig|ironisch|funny|ironic) (?:dat|how|that) (?:jullie|je|u|you|your)")

# Markers that turn praise into its opposite whatever else is said: "#not", "yeah right",
# "ja ja", "lekker bezig" (eye-roll emoji are looked for apart: they need no word boundary).
SARCASM = cue(
    "sarcasm",
    "#not", r"yeah,? right", r"ja,? ja", "jaja", "lekker bezig", "goed bezig hoor", r"bedankt voor (?:niks|niets)",
    r"(?:dank (?:je|u|jullie)|dankjewel|dankuwel)(?: wel)? voor (?:niks|niets)",
    "thanks for nothing", "what a joke", r"oh (?:good|great|joy|lovely|wonderful|fantastic|brilliant),? (?:another|more|just what)",
    r"coincidence\?", r"toeval\?", r"interessante definitie", r"interesting definition")

ALL_CUES: tuple[Cue, ...] = (
    BROKEN, NOT_DELIVERED, NO_ANSWER, WAITING, LASTING, AGAIN, WRONG, BROKEN_PROMISE, PROBLEM, MONEY, COMPLAINT_WORDS,
    LEGAL, SAFETY, SAFETY_NL, CHURN, PRESS, THANKS, COMPLIMENT, RESOLVED, MOCK_PRAISE, SARCASM, SCARE_QUOTES,
)


def find_cues(text_lower: str, lang: str) -> dict[Cue, str]:
    """Every cue family present in `text_lower`, with its first matching expression.

    One scan of all expressions at once marks the places where any of them matches; only
    there is each family tried, and only the families with an expression that can start with
    the characters there (`_families_at`). Families are found independently ("nog steeds
    niet geleverd" is both "not delivered" and "waiting").
    """
    found: dict[Cue, str] = {}
    for hit in _ANY_CUE.finditer(text_lower):
        pos = hit.start()
        for c, pattern in _families_at(text_lower, pos):
            if c not in found and lang in c.langs:
                match = pattern.match(text_lower, pos)
                if match is not None:
                    found[c] = match.group(0)
    return found


_FAMILIES = tuple((c, re.compile(_factored(list(c.expressions)) + r"(?!\w)")) for c in ALL_CUES)


_PLAIN_LOOKBEHIND = re.compile(r"\(\?<!([^\\.^$*+?{}\[\]|()]+)\)")


def _scan_forms(expression: str) -> list[str]:
    """`expression` spelled out (`_distributed`) and rewritten, for the scan only, to begin
    with a plain character or a `\\d` where it can: a lookbehind of plain text moves past the
    first character ("(?<!niet )is" is "i(?<!niet i)s") and "\\d+" is "\\d\\d*". The regex
    engine skips an alternation's branch on its first character only when the branch starts
    with one; a branch starting with a lookbehind or a repeat is tried in full at every word
    of every message."""
    behind = []
    while (lookbehind := _PLAIN_LOOKBEHIND.match(expression)) is not None:
        behind.append(lookbehind.group(1))
        expression = expression[lookbehind.end():]
    out = []
    for form in _distributed(expression):
        if form.startswith("\\d+"):
            form = "\\d\\d*" + form[3:]
        first = _literal_prefix(form)[:1]
        if not behind:
            out.append(form)
        elif first:
            out.append(first + "".join(f"(?<!{b}{first})" for b in behind) + form[1:])
        else:
            out.append("".join(f"(?<!{b})" for b in behind) + form)
    return out


def _scan_alternation(expressions: list[str]) -> str:
    """Like `_factored`, for a scan that only asks where some expression matches (which one
    is the families' business, so branch order does not matter): the `_scan_forms` of every
    expression, factored by leading characters, the ones starting with a digit gathered
    under one `\\d` branch."""
    forms, digit_led = [], []
    for form in (f for x in expressions for e in _distributed(x) for f in _scan_forms(e)):
        (digit_led if form.startswith("\\d") else forms).append(form)
    inner = _factored(forms)[3:-1]
    if digit_led:
        inner += "|\\d(?:" + "|".join(f[2:] for f in sorted(set(digit_led), key=len, reverse=True)) + ")"
    return "(?:" + inner + ")"


_ANY_CUE = re.compile(r"(?<!\w)(?=" + _scan_alternation([e for c in ALL_CUES for e in c.expressions]) + r"(?!\w))")


def _starts(cues: tuple[Cue, ...]):
    """For `_families_at`: the families whose expressions can start with each two plain
    characters, or with one plain character and then something else ("n\\w+"), those that can
    start with a digit, and those that can start anywhere."""
    by_two: dict[str, set[int]] = {}
    by_one: dict[str, set[int]] = {}
    digit_led, anywhere = set(), set()
    for k, c in enumerate(cues):
        for form in (f for x in c.expressions for e in _distributed(x) for f in _scan_forms(e)):
            literal = _literal_prefix(form)
            if len(literal) >= 2:
                by_two.setdefault(literal[:2], set()).add(k)
            elif literal:
                by_one.setdefault(literal, set()).add(k)
            elif form.startswith("\\d"):
                digit_led.add(k)
            else:
                anywhere.add(k)
    return by_two, by_one, digit_led, anywhere


def _family_tables() -> tuple[dict[str, tuple], dict[str, tuple], tuple, tuple]:
    by_two, by_one, digit_led, anywhere = _starts(ALL_CUES)

    def families(indices: set[int]) -> tuple:
        return tuple(_FAMILIES[k] for k in sorted(indices))  # in `ALL_CUES` order, as before

    def from_one(ch: str) -> set[int]:
        return by_one.get(ch, set()) | anywhere | (digit_led if ch.isdecimal() else set())

    two = {key: families(ks | from_one(key[0])) for key, ks in by_two.items()}
    one = {ch: families(from_one(ch)) for ch in {*by_one, *(key[0] for key in by_two)}}
    return two, one, families(digit_led | anywhere), families(anywhere)


_BY_TWO, _BY_ONE, _DIGIT_FAMILIES, _ANYWHERE_FAMILIES = _family_tables()


def _families_at(text: str, pos: int) -> tuple:
    """The (family, pattern) pairs with an expression that can start at `text[pos]`."""
    families = _BY_TWO.get(text[pos:pos + 2])
    if families is not None:
        return families
    ch = text[pos]
    families = _BY_ONE.get(ch)
    if families is not None:
        return families
    return _DIGIT_FAMILIES if ch.isdecimal() else _ANYWHERE_FAMILIES
