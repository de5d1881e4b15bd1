"""Which contributions may be reasons, per column of the model matrix, as the model bundle says.

A reason is adverse: the feature's value lies on its risky side of the reference the sentence names
(the training median; for a category its most common value), in the feature's own risk direction
(`FeatureSpec.directions`), compared as shown. A feature without a direction is a reason only when
its value differs from the reference. Features in the bundle's `reason_exclude` (country, industry,
protected attributes) are never reasons, though they are model inputs. Missing values raise the risk
together, as one reason saying what is missing: each feature's `missing_texts` entry is the phrase
for its empty value and whether that phrase is about the customer record.

Everything comes from the bundle, so a model scores where tradecredit's feature code is absent. A
bundle from before these keys has no exclusions and phrases made from its labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.reason_texts import comparison_scale, humanise
from model.spec import FeatureSpec

HISTORY, RECORD = "history", "record"


@dataclass(frozen=True)
class ReasonRules:
    """Per model column: direction, reference as compared, comparison scale, exclusion, missing phrase."""

    direction: np.ndarray  # int8: +1 riskier when higher, -1 safer when higher, 0 none
    reference: np.ndarray  # the reference as compared (`comparison_scale`); NaN: none, so never adverse
    scale: np.ndarray
    excluded: np.ndarray  # bool: never a reason
    phrase: np.ndarray  # index into `phrases`: what the column's missing value means
    phrases: tuple[tuple[str, str], ...]  # (English, Chinese), distinct
    about_record: np.ndarray  # bool per phrase: it says something is missing from the customer record
    implies: np.ndarray  # (phrases, phrases) int32: 1 where phrase p implies phrase q, so q need not be listed

    @classmethod
    def of(cls, spec: FeatureSpec, bundle: dict) -> ReasonRules:
        """Return the rules of a model with this feature spec and bundle."""
        names = spec.names
        medians, units = bundle["medians"], bundle["units"]
        scale = np.array([comparison_scale(units.get(n, "")) for n in names])
        reference = np.array([_reference(spec, n, medians.get(n), s) for n, s in zip(names, scale)])
        excluded = set(bundle.get("reason_exclude", ()))
        saved = bundle.get("missing_texts", {})
        texts = [saved.get(n) or _phrase_from_label(n, bundle) for n in names]
        phrases = list(dict.fromkeys((en, zh) for en, zh, _ in texts))
        about_record = np.zeros(len(phrases), dtype=bool)
        for en, zh, kind in texts:
            about_record[phrases.index((en, zh))] |= kind == RECORD
        index = {en: k for k, (en, _) in reversed(list(enumerate(phrases)))}
        implies = np.zeros((len(phrases), len(phrases)), dtype=np.int32)
        for p, implied in bundle.get("missing_implies", {}).items():
            for q in implied:
                if p in index and q in index:
                    implies[index[p], index[q]] = 1
        return cls(
            direction=np.array([int(spec.directions.get(n, 0)) for n in names], dtype=np.int8),
            reference=reference,
            scale=scale,
            excluded=np.array([n in excluded for n in names], dtype=bool),
            phrase=np.array([phrases.index((en, zh)) for en, zh, _ in texts], dtype=np.int64),
            phrases=tuple(phrases),
            about_record=about_record,
            implies=implies,
        )

    def missing_phrases(self, contributions: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Return, per row of these contributions and model-matrix values, which phrases (bool, rows x phrases)
        the missing-information reason lists: those of the missing values that raise the risk, excluded
        features left out, and none another listed phrase implies."""
        columns = np.flatnonzero(~self.excluded)
        raising = (contributions[:, columns] > 0) & np.isnan(values[:, columns])
        of_phrase = np.zeros((len(columns), len(self.phrases)), dtype=np.int32)
        of_phrase[np.arange(len(columns)), self.phrase[columns]] = 1
        listed = (raising.astype(np.int32) @ of_phrase) > 0
        return listed & ~((listed.astype(np.int32) @ self.implies) > 0)


def _reference(spec: FeatureSpec, name: str, median, scale: float) -> float:
    """Return the reference of a column as compared: its category's code, or its median as shown; NaN: none."""
    if median is None:
        return np.nan
    if name in spec.categorical:
        categories = spec.categorical[name]
        return float(categories.index(str(median))) if str(median) in categories else np.nan
    median = float(median)
    return float(np.rint(median * scale)) if scale > 0 else median


def _phrase_from_label(name: str, bundle: dict) -> tuple[str, str, str]:
    """Return a phrase for a missing value of a feature a bundle gives none for: "<label> not known"."""
    template = bundle.get("reason_texts", {}).get(name)
    en, zh = (template[0].split(":", 1)[0], template[1].split("：", 1)[0]) if template else (humanise(name),) * 2
    en, zh = (humanise(name) if "{feature}" in label else label for label in (en, zh))
    return f"{en} not known", f"{zh}未知", HISTORY
