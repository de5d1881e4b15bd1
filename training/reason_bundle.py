"""What a model's reasons need at scoring time, taken into its bundle: references, units, texts, exclusions.

The packaged model imports nothing of tradecredit outside `model/`, so everything the reason rules
(`model.reason_rules`) read travels here: the training median of each feature (for a category its
most common value), its unit, its sentence templates in English and Chinese, what its missing value
means and whether that is about the customer record, and the features never given as reasons.
Catalogue features are worded by their records; a customer-table column the catalogue does not
define by the training config's `feature_labels` (built-in ones for the sample portfolio's and the
SAP adapter's extras), else by its name made readable, so no raw column name is ever shown.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from features.catalogue import catalogue
from features.feature import Feature
from model.reason_rules import HISTORY, RECORD
from model.reason_texts import humanise, templates
from model.spec import FeatureSpec
from training.config import TrainingConfig


def reason_bundle(config: TrainingConfig, spec: FeatureSpec, train: pd.DataFrame) -> dict:
    """Return the bundle keys of the reasons: medians, units, reason_texts, missing_texts, missing_implies,
    reason_exclude."""
    known = {f.name: f for f in catalogue()}
    units, labels, missing = {}, {}, {}
    for name in spec.names:
        if name in known:
            feature = known[name]
            units[name], labels[name] = feature.unit, (feature.label_en, feature.label_zh)
            missing[name] = _missing_of_feature(feature)
        else:
            given = config.feature_labels.get(name)
            en = given.en if given else humanise(name)
            zh = (given.zh if given else None) or en
            unit = given.unit if given and given.unit else None
            units[name] = unit or ("category" if name in spec.categorical else "")
            labels[name] = (en, zh)
            missing[name] = (*_not_on_record(en, zh), RECORD)
    # A ledger feature empty for want of a record field (no credit limit) says what the field's does.
    record_phrases = {m[:2] for m in missing.values() if m[2] == RECORD}
    missing = {n: (*m[:2], RECORD if m[:2] in record_phrases else m[2]) for n, m in missing.items()}
    return {
        "medians": _medians(spec, train),
        "units": units,
        "reason_texts": {n: list(templates(*labels[n])) for n in spec.names},
        "missing_texts": {n: list(missing[n]) for n in spec.names},
        "missing_implies": _implied(spec, train, missing),
        "reason_exclude": sorted(set(config.reason_exclude)),
    }


def _medians(spec: FeatureSpec, train: pd.DataFrame) -> dict[str, object]:
    """Return each feature's reference: its training median, for a category its most common value; None: none."""
    medians: dict[str, object] = {}
    for name in spec.names:
        column = train[name]
        if name in spec.categorical:
            mode = column.dropna().astype(str).mode()
            medians[name] = mode.iloc[0] if len(mode) else None
        else:
            value = pd.to_numeric(column, errors="coerce").median()
            medians[name] = None if pd.isna(value) else float(value)
    return medians


def _implied(spec: FeatureSpec, train: pd.DataFrame, missing: dict[str, tuple[str, str, str]]) -> dict[str, list[str]]:
    """Return {phrase: the phrases it implies}, by their English text: p implies q when every training row
    with a value of p's features missing also misses one of q's ("no invoice paid in the last year"
    implies "no invoice paid in the last 90 days"), so the missing-information reason need not list q
    beside p. Of two phrases always missing together, the first (in column order) implies the other."""
    phrases = list(dict.fromkeys(m[0] for m in missing.values()))
    rows = {p: np.zeros(len(train), dtype=bool) for p in phrases}
    for name in spec.names:
        rows[missing[name][0]] |= train[name].isna().to_numpy()
    implies = {}
    for i, p in enumerate(phrases):
        if not rows[p].any():
            continue
        implied = [
            q
            for j, q in enumerate(phrases)
            if j != i and not (rows[p] & ~rows[q]).any() and (j > i or (rows[q] & ~rows[p]).any())
        ]
        if implied:
            implies[p] = implied
    return implies


def _missing_of_feature(feature: Feature) -> tuple[str, str, str]:
    """Return (English, Chinese, kind) of what an empty value of a catalogue feature means."""
    if feature.missing_en and feature.missing_zh:
        kind = RECORD if feature.source == "customer" else HISTORY
        return feature.missing_en, feature.missing_zh, kind
    if feature.source == "customer":
        return (*_not_on_record(feature.label_en, feature.label_zh), RECORD)
    return f"{_bare(feature.label_en)} not known", f"{_bare(feature.label_zh)}未知", HISTORY


def _not_on_record(en: str, zh: str) -> tuple[str, str]:
    """Return the phrases for a customer-table field left empty: "no external rating on the customer record"."""
    bare = _bare(en)
    bare = bare[:1].lower() + bare[1:] if bare[1:2].islower() else bare  # "External rating", not "VAT number"
    return f"no {bare} on the customer record", f"客户档案中无{_bare(zh)}"


def _bare(label: str) -> str:
    """Return a label without its closing unit in brackets: "Insured limit (EUR)" -> "Insured limit"."""
    return re.sub(r"\s*[(（][^()（）]*[)）]$", "", label) or label
