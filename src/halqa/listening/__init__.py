"""halqa.listening: step one of the cycle, listening.

Owns grievances heard in markets, shared taxis, ration queues and tea stalls: short text (Iraqi
Arabic, MSA, Sorani, English; optional), themes, a place (area code or coarse H3 cell), a day,
optional coarse speaker groups, tone, how often heard, and an optional voice note kept inside the
encrypted vault. Around them:

* :mod:`~halqa.listening.records`: events, projections, validation, themes, group keys, borders;
* :mod:`~halqa.listening.importer`: CSV/JSON import (every bad row reported, good rows kept);
* :mod:`~halqa.listening.codebook`: disguised shopping-list notes, keyed per circle;
* :mod:`~halqa.listening.suggest`: offline theme suggestion (lexicon + a classifier trained on
  the circle's confirmed labels; optional packaged embeddings);
* :mod:`~halqa.listening.analysis`: shared causes across groups, hotspots (Gi*), trends;
* :mod:`~halqa.listening.evaluation`: honest evaluation of the classifier on labelled data.
"""

from __future__ import annotations

from halqa.listening.analysis import (
    ListeningData,
    hotspots,
    load_data,
    place_week_counts,
    shared_causes,
    shared_causes_frame,
    theme_trends,
)
from halqa.listening.codebook import (
    QUIET_ACTIONS,
    Codebook,
    adopt_codebook,
    codebook,
    codebook_for_key,
    decode_lines,
    encode_line,
    fresh_codebook_key,
)
from halqa.listening.demo import decoy, demo
from halqa.listening.demo import decoy_session as decoy_session  # for halqa.domains, not public API
from halqa.listening.importer import COLUMNS, ImportReport, import_grievances
from halqa.listening.records import (
    TONES,
    add_grievance,
    add_group_key,
    add_theme,
    attach_voice,
    borders,
    confirm_themes,
    delete_grievance,
    get_grievance,
    group_keys,
    list_grievances,
    set_border,
    themes,
    voice_note,
)
from halqa.listening.suggest import ThemeModel, suggest_for_texts, suggest_themes, train_model
from halqa.listening.text import detect_language, normalise

__all__ = [
    "COLUMNS",
    "QUIET_ACTIONS",
    "TONES",
    "Codebook",
    "ImportReport",
    "ListeningData",
    "ThemeModel",
    "add_grievance",
    "add_group_key",
    "add_theme",
    "adopt_codebook",
    "attach_voice",
    "borders",
    "codebook",
    "codebook_for_key",
    "confirm_themes",
    "decode_lines",
    "decoy",
    "delete_grievance",
    "demo",
    "detect_language",
    "encode_line",
    "fresh_codebook_key",
    "get_grievance",
    "group_keys",
    "hotspots",
    "import_grievances",
    "list_grievances",
    "load_data",
    "normalise",
    "place_week_counts",
    "set_border",
    "shared_causes",
    "shared_causes_frame",
    "suggest_for_texts",
    "suggest_themes",
    "theme_trends",
    "themes",
    "train_model",
    "voice_note",
]
