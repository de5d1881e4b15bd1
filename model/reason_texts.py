"""Reason-code sentences for credit officers: the formatting engine, in English and Chinese (Simplified).

A model carries one (English, Chinese) template pair per feature, made by `templates` from the
feature's labels: `<label>: {value}` followed by the portfolio-median clause (`MEDIAN_CLAUSE`), so the
clause can be dropped when no median is known, or read as the most common value for a category (whose
"median" a model keeps is its mode). A feature without labels uses `FALLBACK`, which names it by its
column name made readable (`humanise`), never the raw name. Values and medians are formatted by unit
(`Feature.unit`). Missing values are not worded one by one: `missing_reason` words the one reason they
make together. Nothing here knows any feature: the packaged model runs where tradecredit's feature
code is not installed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LANGUAGES = ("en", "zh")
MEDIAN_CLAUSE = (" (portfolio median {median})", "（组合中位数 {median}）")
# A category has no median: what a model keeps for it is the most common value, and says so.
MODE_CLAUSE = (" (most common in the portfolio: {median})", "（组合中最常见：{median}）")
FALLBACK = ("{feature}: {value}" + MEDIAN_CLAUSE[0], "{feature}：{value}" + MEDIAN_CLAUSE[1])
# How `format_reason` shows a missing value; reasons never show one (see `missing_reason`).
MISSING = ("not known", "未知")
# The one reason of all risk-raising missing values: what is missing, under a heading that says which
# kind of information it is (payment history only, or the customer record too).
MISSING_HEADINGS = {False: ("Little payment history", "付款记录不足"), True: ("Missing information", "信息缺失")}
MISSING_SEPARATORS = ("; ", "；")
YES_NO = (("yes", "no"), ("是", "否"))
PERCENT = (" %", "%")


def humanise(column: str) -> str:
    """Return a column name as a label: "insured_limit" -> "Insured limit"."""
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else column


def missing_reason(phrases: Sequence[tuple[str, str]], about_record: bool) -> tuple[str, str, str]:
    """Return (the value as shown, the English sentence, the Chinese sentence) of the missing-information
    reason that lists these (English, Chinese) phrases, e.g. "Little payment history: no invoice paid in
    the last 90 days"; headed "Missing information" when one of them is about the customer record."""
    heading = MISSING_HEADINGS[about_record]
    en, zh = (separator.join(p[i] for p in phrases) for i, separator in enumerate(MISSING_SEPARATORS))
    return en, f"{heading[0]}: {en}", f"{heading[1]}：{zh}"


def comparison_scale(unit: str) -> float:
    """Return the scale at which values of `unit` are compared with their reference: as they are shown.

    A value is compared as `rint(value * scale)`, so one shown like its median ("0 %" against "0 %")
    is at it, not above it; 0 means as it is (categories, compared by code).
    """
    return {"category": 0.0, "share": 100.0, "ratio": 100.0, "": 100.0}.get(unit, 1.0)


def templates(label_en: str, label_zh: str) -> tuple[str, str]:
    """Return the (English, Chinese) reason templates of a feature with these labels."""
    return label_en + ": {value}" + MEDIAN_CLAUSE[0], label_zh + "：{value}" + MEDIAN_CLAUSE[1]


def format_reason(texts: Sequence[str] | None, feature: str, value, median, unit: str, language: str = "en") -> str:
    """Return the reason sentence in `language` ("en" or "zh") from a feature's (English, Chinese) templates
    (e.g. as saved with a model; None: the fallback), value and median formatted by unit."""
    return reason_sentences(texts, feature, np.array([value], dtype=object), median, unit, language)[0]


def reason_sentences(
    texts: Sequence[str] | None, feature: str, values: np.ndarray, median, unit: str, language: str = "en"
) -> list[str]:
    """Return `format_reason` for each of `values` (one feature): the template is filled once, values formatted in bulk."""
    i = _language(language)
    codes, _, sentences = reason_text_codes(texts, feature, values, median, unit)
    return np.array(sentences[i], dtype=object)[codes].tolist()


def reason_text_codes(
    texts: Sequence[str] | None,
    feature: str,
    values: np.ndarray,
    median,
    unit: str,
    missing: Sequence[str] = MISSING,
) -> tuple[np.ndarray, list[list[str]], list[list[str]]]:
    """Return (code per value, per language the distinct values as shown, per language the distinct sentences).

    Value k is shown as `shown[i][codes[k]]` and reads `sentences[i][codes[k]]` in language
    `LANGUAGES[i]`; code -1, the last entry, is a missing value, shown as `missing[i]` (what an empty
    value of the feature means). Each distinct shown value is formatted once per language, so a
    portfolio's reasons never build a sentence per row.
    """
    codes, shown = _shown_values(values, unit)
    shown = [[*texts_of_language[:-1], missing[i]] for i, texts_of_language in enumerate(shown)]
    sentences = []
    for i, template in enumerate(texts or FALLBACK):
        if _missing(median):
            template = template.removesuffix(MEDIAN_CLAUSE[i])
        elif unit == "category" and template.endswith(MEDIAN_CLAUSE[i]):
            template = template.removesuffix(MEDIAN_CLAUSE[i]) + MODE_CLAUSE[i]
        # Every template holds {value} once: fill the rest once, then join the pieces per shown value.
        head, tail = (
            part.format(feature=humanise(feature), median=_format(median, unit, i))
            for part in template.split("{value}", 1)
        )
        sentences.append([head + text + tail for text in shown[i]])
    return codes, shown, sentences


# Units whose shown value depends only on the value rounded after scaling (see `_format`), so values
# that round alike are formatted once.
_ROUNDED_UNITS = {"EUR": 1.0, "days": 1.0, "count": 1.0, "share": 100.0}


def format_values(values: np.ndarray, unit: str, language: str = "en") -> list[str]:
    """Return each value as a reason sentence shows it, by unit; each distinct shown value is formatted once."""
    i = _language(language)
    codes, shown = _shown_values(values, unit)
    return np.array(shown[i], dtype=object)[codes].tolist()


def _shown_values(values: np.ndarray, unit: str) -> tuple[np.ndarray, list[list[str]]]:
    """Return (code per value, per language the distinct shown texts): code -1, the last text, is a missing value."""
    values = np.asarray(values)
    if unit in _ROUNDED_UNITS and values.dtype.kind == "f":
        scale = _ROUNDED_UNITS[unit]
        key = np.rint(values * scale if scale != 1.0 else values)
    elif unit == "ratio" and values.dtype.kind == "f":
        return _shown_ratios(values)
    else:
        key = values
    codes, distinct = pd.factorize(key, use_na_sentinel=True)
    if not len(distinct):
        texts: list[list[str]] = [[] for _ in LANGUAGES]
    elif key is not values and np.isfinite(distinct).all() and np.abs(distinct).max() < 2**53:
        # `_format` of such a value is its rounded key as an integer: skip the per-value dispatch.
        whole = distinct.astype(np.int64).tolist()
        if unit == "share":
            texts = [[f"{k}{suffix}" for k in whole] for suffix in PERCENT]
        else:
            grouped = [f"{k:,}" for k in whole]
            texts = [grouped for _ in LANGUAGES]
    else:
        _, first = np.unique(codes, return_index=True)
        first = first[codes[first] >= 0]  # one row per distinct key, in code order
        # A number (never missing here: factorize set those aside) reads alike in every language,
        # but for a share's % sign and a flag's yes / no.
        per_language = unit in ("share", "flag") or values.dtype.kind not in "fiu"
        texts = [[_format(values[row], unit, i) for row in first] for i in range(len(LANGUAGES) if per_language else 1)]
        texts = texts if per_language else texts * len(LANGUAGES)
    return codes, [[*texts[i], MISSING[i]] for i in range(len(LANGUAGES))]


def _shown_ratios(values: np.ndarray) -> tuple[np.ndarray, list[list[str]]]:
    """`_shown_values` for ratios, shown to two decimals: values are grouped by hundredths, not one by one.

    A value is shown as its hundredths rounded, unless it lies so close to halfway between two that
    the product by 100 could round the wrong way, or is too large for that margin to exceed the
    product's rounding error (2**30 hundredths: about 10 million): those few are formatted one by
    one like any value.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # inf and NaN are not safe, and are told apart below
        hundredths = values * 100.0
        key = np.rint(hundredths)
        safe = np.isfinite(hundredths) & (np.abs(np.abs(hundredths - key) - 0.5) > 1e-6) & (np.abs(key) < 2**30)
    # Unsafe values keep a key of their own: their value, marked apart from the hundredths.
    codes, distinct = pd.factorize(np.where(safe, key, np.nan), use_na_sentinel=True)
    shown = [f"{k / 100 + 0.0:,.2f}" for k in distinct.tolist()]
    unsafe = np.flatnonzero(~safe & ~np.isnan(values))
    if len(unsafe):
        extra_codes, extra = pd.factorize(values[unsafe])
        codes[unsafe] = extra_codes + len(shown)
        shown += [_format(v, "ratio", 0) for v in extra.tolist()]
    # A ratio is shown alike in every language; code -1 (missing) reads as each language's word.
    return codes, [[*shown, MISSING[i]] for i in range(len(LANGUAGES))]


def _language(language: str) -> int:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return LANGUAGES.index(language)


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN and NaT are the values unequal to themselves
    except (TypeError, ValueError):
        return True  # pandas.NA refuses to be a bool


def _format(x, unit: str, i: int) -> str:
    if _missing(x):
        return MISSING[i]
    if unit == "flag":
        return YES_NO[i][0] if x else YES_NO[i][1]
    if unit == "category" or isinstance(x, str):
        return str(x)
    try:
        number = float(x)
        if unit in ("EUR", "days", "count"):
            return f"{round(number):,}"
        if unit == "share":
            return f"{round(number * 100)}{PERCENT[i]}"
        if unit == "ratio" or not number.is_integer():
            return f"{round(number, 2) + 0.0:,.2f}"  # + 0.0 turns -0.0 into 0.0
        return f"{round(number):,}"
    except (TypeError, ValueError, OverflowError):
        return str(x)
