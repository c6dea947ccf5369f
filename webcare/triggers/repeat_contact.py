"""Repeat contact: one customer trying again and again, across channels, without a real answer.

Contacts are linked across channels by author id, by name when it has at least two words,
and by the playbook's explicit `links`. Two accounts on one platform with the same name are
two people (a brand with thousands of customers has several called Jan de Vries), and from
then on that name links no one. A brand auto-reply is noted but is not an answer; a real
brand reply to any of the customer's messages or conversations clears the count.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from webcare.models import Message
from webcare.settings import at_least, positive, setting
from webcare.triggers import Finding, Seen, stale_keys
from webcare.triggers.text import day_month


@dataclass(frozen=True)
class Options:
    min_contacts: int = setting(3, check=at_least(2), help="contacts without a real answer that alert")
    min_channels: int = setting(1, check=at_least(1), help="... spread over at least this many channels")
    days: float = setting(30.0, check=positive, help="how far back contacts count")
    merge_minutes: float = setting(30.0, check=at_least(0), help="messages this close on one channel are one contact")
    link_by_name: bool = setting(True, help="link authors across channels by full name")
    links: list[list[str]] = setting(
        factory=list, help="known customers' identities across channels, each a list of "
        "'platform:author id' (or 'name:full name'), e.g. [\"email:jan@example.nl\", \"x:12345\"]")


@dataclass
class Customer:
    name: str
    contacts: list[tuple[float, str, str]] = field(default_factory=list)  # (ts, channel, uid)
    channels: dict[str, int] = field(default_factory=dict)  # contacts per channel, so the spread is one len()
    auto_replies: int = 0
    keys: list[str] = field(default_factory=list)  # entries of State.identity/owner to forget with it
    platforms: set[str] = field(default_factory=set)  # where its accounts are: a namesake there is someone else


@dataclass
class State:
    customers: dict[str, Customer] = field(default_factory=dict)
    # author key / name key -> customer id; "" for a name that namesakes share, which links no one
    identity: dict[str, str] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)  # message uid / conversation -> customer id
    # customers at or over the threshold, in the order they got there (a dict, not a set, so
    # ticks report them in the same order in every run)
    active: dict[str, None] = field(default_factory=dict)
    last_sweep: float = 0.0
    # what the hourly sweep must look at, so it need not walk every customer: a heap of
    # (ts, customer id) per contact added, and the customers whose contacts ran out
    expiry: list[tuple[float, str]] = field(default_factory=list)
    emptied: set[str] = field(default_factory=set)


class RepeatContact:
    kind = "repeat_contact"
    Options = Options
    sees_unmatched = False
    sees_brand = True  # brand replies answer or auto-answer contacts
    tick_seconds = 3600.0  # contacts expire after days; an hourly look is plenty

    def __init__(self, options: Options, sensitivity: str = "balanced"):
        self.options = options
        self.horizon = options.days * 86400
        self.merge = options.merge_minutes * 60
        # every identity named in an explicit link points at the link's first identity
        self.linked = {_name_key(ident[5:])[0] if ident.startswith("name:") else ident: group[0]
                       for group in options.links if group for ident in group}

    def new_state(self) -> State:
        return State()

    def observe(self, state: State, seen: Seen, matched: bool) -> list[Finding]:
        message = seen.message
        if message.from_brand:
            self._brand_reply(state, message)
            return []
        cid = self._customer_id(state, message)
        customer = state.customers[cid]
        ts, uid = seen.ts, seen.uid
        channel = message.platform
        for key in (uid, message.conversation_id and f"{message.platform}#{message.conversation_id}"):
            if key and key not in state.owner:
                state.owner[key] = cid
                customer.keys.append(key)
        # connectors may deliver a customer's messages out of order (pages walk back in time):
        # keep the contacts in time order and merge with a same-channel neighbour either side
        contacts = customer.contacts
        i = bisect.bisect(contacts, (ts,))
        merge = self.merge
        before = contacts[i - 1] if i else None
        after = contacts[i] if i < len(contacts) else None
        if not ((before is not None and before[1] == channel and abs(ts - before[0]) <= merge)
                or (after is not None and after[1] == channel and abs(ts - after[0]) <= merge)):
            contacts.insert(i, (ts, channel, uid))
            customer.channels[channel] = customer.channels.get(channel, 0) + 1
            heapq.heappush(state.expiry, (ts, cid))
        return self._check(state, cid, seen.now, seen.t)

    def tick(self, state: State, now: datetime) -> list[Finding]:
        found = []
        t = now.timestamp()
        for cid in list(state.active):
            found.extend(self._check(state, cid, now, t))
        if t - state.last_sweep >= 3600:  # forget quiet customers once an hour
            state.last_sweep = t
            horizon = t - self.horizon
            for cid in stale_keys(state.expiry, state.emptied, horizon):
                customer = state.customers.get(cid)
                if customer is not None and (not customer.contacts or customer.contacts[-1][0] < horizon):
                    self._forget(state, cid)
        return found

    def _brand_reply(self, state: State, message: Message) -> None:
        cid = None
        if message.in_reply_to:
            cid = state.owner.get(f"{message.platform}:{message.in_reply_to}")
        if cid is None and message.conversation_id:
            cid = state.owner.get(f"{message.platform}#{message.conversation_id}")
        if cid is None or cid not in state.customers:
            return
        customer = state.customers[cid]
        if message.automated:
            customer.auto_replies += 1
        else:
            customer.contacts.clear()
            customer.channels.clear()
            customer.auto_replies = 0
            state.emptied.add(cid)

    def _customer_id(self, state: State, message: Message) -> str:
        author, identity, linked = message.author, state.identity, self.linked
        key = f"{message.platform}:{author.id}"
        name_key, full_name = _name_key(author.name)
        by_name = (self.options.link_by_name and full_name) or name_key in linked
        if not linked:  # the common case: a customer seen before, every key of theirs known
            cid = identity.get(key)
            if cid is not None and (not by_name or name_key in identity):
                return cid
        keys = [key, name_key] if by_name else [key]
        cid = next((linked[k] for k in keys if k in linked), None) if linked else None
        if not cid:  # not explicitly linked: this account's customer, the name's, or a new one
            cid = identity.get(key)
        if not cid and by_name:
            cid = identity.get(name_key)
            if cid and message.platform in state.customers[cid].platforms:
                # another account on this platform has the name: a namesake, not the same
                # person, and from now on the name cannot tell them (or a third channel) apart
                identity[name_key] = cid = ""
        cid = cid or key
        customer = state.customers.get(cid)
        if customer is None:
            customer = state.customers[cid] = Customer(author.name or author.id)
        if key not in identity:
            customer.platforms.add(message.platform)
        for k in keys:
            if k not in identity:
                identity[k] = cid
                customer.keys.append(k)
        return cid

    def _check(self, state: State, cid: str, now: datetime, t: float) -> list[Finding]:
        """Whether the customer is at the threshold now (`t`: `now` in epoch seconds)."""
        customer = state.customers[cid]
        contacts = customer.contacts
        horizon = t - self.horizon
        if contacts and contacts[0][0] < horizon:
            contacts[:] = [c for c in contacts if c[0] >= horizon]
            customer.channels = Counter(c[1] for c in contacts)
            if not contacts:
                state.emptied.add(cid)
        count = len(contacts)
        if count < self.options.min_contacts or len(customer.channels) < self.options.min_channels:
            state.active.pop(cid, None)
            return []
        state.active[cid] = None
        return [self._finding(cid, customer, count, now, t)]

    @staticmethod
    def _finding(cid: str, customer: Customer, count: int, now: datetime, t: float) -> Finding:
        """The finding, its words composed only if an alert is written (kept out of `_check`,
        where the closure's set-up would cost every customer who is below the threshold)."""
        contacts = customer.contacts

        def explain():
            channels = sorted(customer.channels)
            days = max(1, round((t - contacts[0][0]) / 86400))
            answered = (f"only {customer.auto_replies} auto-replies" if customer.auto_replies
                        else "no reply at all")
            since = datetime.fromtimestamp(contacts[0][0], now.tzinfo)
            return (f"{customer.name} contacted us {count} times in {days} days, {answered}",
                    (f"{count} contacts via {', '.join(channels)} since {day_month(since)}",
                     f"{answered}; an auto-reply is not an answer"),
                    tuple([c[2] for c in contacts]))

        return Finding(key=cid, size=count, explain=explain)

    @staticmethod
    def _forget(state: State, cid: str) -> None:
        for key in state.customers.pop(cid).keys:
            state.identity.pop(key, None)
            state.owner.pop(key, None)
        state.active.pop(cid, None)


@lru_cache(maxsize=4096)
def _name_key(name: str) -> tuple[str, bool]:
    """The identity key of an author's name, and whether it has the two words that link by name.

    "Vries, Jan de" (how address books and some mail programs write it) is "Jan de Vries".
    Cached: the same customers write again and again, and the word split is a regex.
    """
    last, comma, first = name.lower().partition(",")
    words = re.findall(r"\w+", f"{first} {last}" if comma else last)
    return f"name:{' '.join(words)}", len(words) >= 2
