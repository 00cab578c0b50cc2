"""A starting model from a column profile, so a CRM export becomes a model in one click.

Everything here is a guess for a person to check: points are small round numbers, category
values start at 0 for the team to set, and columns that are only filled in after sales has
talked to the lead (status, stage, owner, deal amount...) are never proposed, because scoring
on them would make the model look far better than it can be on new leads (leakage).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Protocol

from workbench.model import (
    Band,
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    GroupName,
    RangesCriterion,
    ScoringModel,
    Tier,
    format_number,
    normalize_category,
)

# Free mail providers: a B2B lead writing from one of these is less likely a company buyer.
FREE_EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "yahoo.fr",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "hotmail.fr",
    "libero.it",
    "yahoo.co.uk",
    "hotmail.co.uk",
    "mail.ru",
    "yandex.ru",
    "qq.com",
    "163.com",
)

# Phrases (lower-case words; a trailing * matches a word's start) in a column name that mean
# "filled in after sales contact". Matched against the name's words, so "IsConverted",
# "is_converted" and "Is Converted" all match "converted".
LEAKAGE_HINTS: tuple[str, ...] = (
    "status",
    "stage",
    "lifecycle",
    "opportunit*",
    "deal",
    "deals",
    "won",
    "lost",
    "closed",
    "close",
    "converted",
    "became",
    "owner",
    "rating",
    "amount",
    "duration",
    "score",
    "scores",
    "scoring",
    "points",
    "likelihood",
    "priority",
    "qualified",
    "mql",
    "sql",
    "contacted",
    "sales activit*",
    "sequence*",
    "unworked",
    "total revenue",
    "time to move",
    "time between",
    "label",
    "labels",
)
# Names that hold a leakage word but describe the lead, not the sales process.
_LEAKAGE_EXCEPTIONS: tuple[str, ...] = (
    "marital status",
    "relationship status",
    "military status",
    "email confirmation status",
)
# Exact names that are usually the outcome itself.
_OUTCOME_NAMES = frozenset({"y", "target", "outcome", "converted", "won", "result"})

ENGAGEMENT_HINTS: tuple[str, ...] = (
    "open*",
    "click*",
    "visit*",
    "view*",
    "page*",
    "form",
    "forms",
    "submission*",
    "submitted",
    "demo",
    "demos",
    "download*",
    "webinar*",
    "newsletter*",
    "chat*",
    "cart*",
    "trial*",
    "quote*",
    "event*",
    "unsubscrib*",
    "subscri*",
    "opted out",
    "opt out",
    "optout*",
    "last activity",
    "session*",
    "conversion*",
    "engag*",
    "reply",
    "replies",
    "replied",
    "attend*",
    "registered",
    "signup*",
    "sign up",
    "login*",
    "bounce*",
    "emails",
    "marketing",
    "campaign*",
    "pdays",
    "previous",
    "poutcome",
)
# Flags that are bad news: the lead asked not to be contacted, or cannot be.
NEGATIVE_FLAG_HINTS: tuple[str, ...] = (
    "unsubscrib*",
    "opted out",
    "opt out",
    "optout*",
    "do not",
    "donotcall",
    "bounce*",
    "invalid",
    "quarantine*",
)
# Columns no score should use even though they hold numbers or few values.
_SKIP_HINTS: tuple[str, ...] = (
    "latitude",
    "longitude",
    "postal*",
    "zip*",
    "phone",
    "fax",
    "mobile",
    "deleted",
)
# E-mail columns where a free domain is expected, not a warning sign.
_PRIVATE_EMAIL_HINTS: tuple[str, ...] = ("private", "home", "personal")
_ID_WORDS = frozenset({"id", "ids", "uuid", "guid"})

MAX_CATEGORY_VALUES = 50  # more distinct values than this is a free-text field, not a category
MAX_LISTED_VALUES = 20  # values written into a proposed categories criterion
FLAG_POINTS = 10.0
NEGATIVE_FLAG_POINTS = -20.0
FREE_EMAIL_POINTS = -20.0
BAND_POINTS = (5.0, 10.0, 20.0)  # lowest band first; fewer bands take the top ones
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th"})


class ProfileLike(Protocol):
    """What propose needs from ``workbench.profile.ColumnProfile``."""

    @property
    def name(self) -> str: ...

    @property
    def dtype(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def distinct(self) -> int | None: ...

    @property
    def top_values(self) -> Sequence[tuple[str, int]]: ...

    @property
    def minimum(self) -> object: ...

    @property
    def maximum(self) -> object: ...


def name_words(column_name: str) -> list[str]:
    """A column name as lower-case ASCII words: camelCase, ``_``, ``-`` and spaces split.

    Args:
        column_name: e.g. "NumberOfEmployees", "SICCode__c", "Number of Pageviews".

    Returns:
        e.g. ["number", "of", "employees"], ["sic", "code"], ["number", "of", "pageviews"].
    """
    name = re.sub(r"__c$", "", column_name.strip())  # Salesforce custom-field suffix
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    name = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    return re.findall(r"[a-z0-9]+", _ascii(name.lower()))


def criterion_id(column_name: str, existing_ids: Iterable[str] = ()) -> str:
    """A valid, unique criterion id made from a column name.

    Args:
        column_name: e.g. "Marketing Emails Opened" or "höbbela".
        existing_ids: ids already taken.

    Returns:
        e.g. "marketing_emails_opened", "hobbela"; "_2", "_3"... added when taken; "column"
        when the name has no letters or digits that fold to ASCII.
    """
    base = "_".join(name_words(column_name)) or "column"
    taken = set(existing_ids)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def looks_like_leakage(column_name: str) -> bool:
    """Does the column look like something filled in after sales contact (or the outcome)?

    Args:
        column_name: the column's name as in the file.

    Returns:
        True for names such as "Lead Status", "Lifecycle Stage", "IsConverted", "HubSpot
        Score", "Contact owner", "Recent Deal Amount", "Became a Customer Date", "duration".
    """
    words = name_words(column_name)
    joined = " ".join(words)
    if joined in _OUTCOME_NAMES:
        return True
    if any(_has_phrase(words, p) for p in _LEAKAGE_EXCEPTIONS):
        return False
    return any(_has_phrase(words, p) for p in LEAKAGE_HINTS)


def guess_group(column_name: str) -> GroupName:
    """Engagement for behaviour (opens, clicks, visits, forms, demo...), fit otherwise.

    Fit is the default because the rest of a CRM export describes the lead (country,
    industry, size, employees, revenue, title, seniority, department, role, region).

    Args:
        column_name: the column's name.

    Returns:
        "engagement" or "fit".
    """
    words = name_words(column_name)
    if any(_has_phrase(words, p) for p in ENGAGEMENT_HINTS):
        return "engagement"
    return "fit"


def propose_criterion(
    profile: ProfileLike, existing_ids: Iterable[str] = frozenset()
) -> Criterion | None:
    """A starting criterion for one column, or None when the column should not score.

    Args:
        profile: the column's profile (``workbench.profile.ColumnProfile``).
        existing_ids: ids already used in the model (the new id avoids them).

    Returns:
        flag → ``flag`` (+10; −20 for unsubscribe/opt-out/bounce-like names); number →
        ``ranges`` with up to three round bands over the data's range (5/10/20 points, below
        the first band 0); category with at most 50 values → ``categories`` listing the most
        common values at 0 points for the team to set; e-mail → ``email_domain`` with common
        free mail domains at −20 (fit). Ids, dates, free text, empty columns, coordinates,
        phone numbers, and columns of one number → None.
    """
    name = profile.name
    words = name_words(name)
    if words and words[-1] in _ID_WORDS or any(_has_phrase(words, p) for p in _SKIP_HINTS):
        return None
    cid = criterion_id(name, existing_ids)
    group = guess_group(name)
    kind = profile.kind
    if kind == "flag":
        negative = any(_has_phrase(words, p) for p in NEGATIVE_FLAG_HINTS)
        return FlagCriterion(
            kind="flag",
            id=cid,
            label=name,
            group=group,
            column=name,
            points=NEGATIVE_FLAG_POINTS if negative else FLAG_POINTS,
        )
    if kind == "number":
        bands = propose_bands(profile.minimum, profile.maximum, integral=_integral(profile))
        if not bands:
            return None
        return RangesCriterion(
            kind="ranges",
            id=cid,
            label=name,
            group=group,
            column=name,
            bands=bands,
            missing=0,
            note=(
                f"Bands proposed from the data's range ({_show(profile.minimum)} to "
                f"{_show(profile.maximum)}); values below the first band get 0."
            ),
        )
    if kind == "category":
        values = _category_values(profile)
        if not values:
            return None
        return CategoriesCriterion(
            kind="categories",
            id=cid,
            label=name,
            group=group,
            column=name,
            points=dict.fromkeys(values, 0.0),
            other=0,
            missing=0,
            note="The most common values, all at 0: give points to the ones that matter.",
        )
    if kind == "email":
        if any(_has_phrase(words, p) for p in _PRIVATE_EMAIL_HINTS):
            return None
        return EmailDomainCriterion(
            kind="email_domain",
            id=cid,
            label=f"{name}: free e-mail domain",
            group="fit",
            column=name,
            domains=list(FREE_EMAIL_DOMAINS),
            points=FREE_EMAIL_POINTS,
            note="A free mail address is a weaker sign of a company buyer.",
        )
    return None


def propose_model(
    profiles: Iterable[ProfileLike],
    exclude: Iterable[str] = frozenset(),
    *,
    name: str = "Proposed model",
) -> ScoringModel:
    """A valid starting model with one criterion per usable column.

    Args:
        profiles: the table's column profiles, in column order.
        exclude: column names to leave out (compared case-insensitively), e.g. the outcome.
        name: the model's name.

    Returns:
        A model on the default 0–100 scale with tiers cold 0 / warm 50 / hot 80 and one
        criterion per column that :func:`propose_criterion` can use, except excluded and
        leakage-looking columns (:func:`looks_like_leakage`).
    """
    skip = {e.casefold() for e in exclude}
    ids: set[str] = set()
    criteria: list[Criterion] = []
    for profile in profiles:
        if profile.name.casefold() in skip or looks_like_leakage(profile.name):
            continue
        criterion = propose_criterion(profile, ids)
        if criterion is not None:
            ids.add(criterion.id)
            criteria.append(criterion)
    return ScoringModel(
        name=name,
        description="Proposed from the data's columns; check every criterion and its points.",
        tiers=[
            Tier(name="cold", min_score=0),
            Tier(name="warm", min_score=50),
            Tier(name="hot", min_score=80),
        ],
        criteria=criteria,
    )


def propose_bands(minimum: object, maximum: object, *, integral: bool | None = None) -> list[Band]:
    """Up to three bands with round edges inside the data's range, points rising 5/10/20.

    Long-tailed counts (from 0 or more, with a maximum far above the minimum, like page views
    or revenue) get edges spaced geometrically (e.g. 4, 20, 100 for 0–500), because most leads
    sit near the bottom; other ranges get edges near the quarters (25, 50, 75 for 0–100).

    Args:
        minimum: the smallest value in the column.
        maximum: the largest value in the column.
        integral: the column holds whole numbers (edges are then whole too); ``None`` guesses
            it from the minimum and maximum.

    Returns:
        The bands (the last one open-ended), or an empty list when the range is empty or not
        numeric.
    """
    lo, hi = _finite(minimum), _finite(maximum)
    if lo is None or hi is None or hi <= lo:
        return []
    if integral is None:
        integral = lo.is_integer() and hi.is_integer()
    if lo >= 0 and hi >= 200 and hi >= 100 * (lo + 1):
        raw = [(hi - lo + 1) ** (k / 4) - 1 + lo for k in (1, 2, 3)]
        edges = [_round_significant(x) for x in raw]
    else:
        unit = _step(hi - lo)
        if integral:
            unit = max(unit, 1.0)
        edges = [math.floor((lo + (hi - lo) * k / 4) / unit + 0.5) * unit for k in (1, 2, 3)]
    if integral:
        edges = [float(round(e)) for e in edges]
    kept = sorted({round(e, 9) for e in edges if lo < e <= hi})
    points = BAND_POINTS[len(BAND_POINTS) - len(kept) :]
    bands = []
    for i, (edge, pts) in enumerate(zip(kept, points, strict=True)):
        upper = kept[i + 1] if i + 1 < len(kept) else None
        bands.append(Band.model_validate({"from": edge, "to": upper, "points": pts}))
    return bands


def _category_values(profile: ProfileLike) -> list[str]:
    distinct = profile.distinct if profile.distinct is not None else len(profile.top_values)
    if distinct > MAX_CATEGORY_VALUES:
        return []
    values: list[str] = []
    seen: set[str] = set()
    for value, _count in profile.top_values:
        if value is None:
            continue
        norm = normalize_category(str(value))
        if not norm or norm in seen:
            continue
        seen.add(norm)
        values.append(" ".join(str(value).split()))
        if len(values) == MAX_LISTED_VALUES:
            break
    return values


def _integral(profile: ProfileLike) -> bool | None:
    """Whole numbers by the column's type; None (guess from the range) for unknown types."""
    base = profile.dtype.split("(")[0].strip().upper()
    if base.endswith("INT") or base in ("INTEGER", "HUGEINT", "UHUGEINT"):
        return True
    if base in ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC"):
        return False
    return None


def _has_phrase(words: Sequence[str], phrase: str) -> bool:
    parts = phrase.split()
    n = len(parts)
    for i in range(len(words) - n + 1):
        if all(_word_matches(words[i + j], parts[j]) for j in range(n)):
            return True
    return False


def _word_matches(word: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return folded.encode("ascii", "ignore").decode("ascii")


def _finite(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _step(span: float) -> float:
    """A round step (1, 2 or 5 × 10^k) near an eighth of the span, for rounding band edges."""
    target = span / 8
    power = 10 ** math.floor(math.log10(target))
    # The nearest of 1, 2, 5, 10 × power on a log scale.
    best = min((1, 2, 5, 10), key=lambda m: abs(math.log(m * power / target)))
    return float(best * power)


def _round_significant(x: float) -> float:
    """Round to one significant digit (two when the first is 1: 15 stays 15)."""
    if x <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(x))
    digits = 2 if x / power < 2 else 1
    return round(x, -int(math.floor(math.log10(x))) + digits - 1)


def _show(value: object) -> str:
    number = _finite(value)
    return format_number(round(number, 6)) if number is not None else str(value)
