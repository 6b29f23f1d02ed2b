"""halqa.listening: step one of the cycle, listening.

Owns grievances heard in markets, shared taxis, ration queues and tea stalls: short text (Iraqi
Arabic, MSA, Sorani, English; optional), themes, a place (area code or coarse H3 cell), a day,
optional coarse speaker groups, tone, how often heard, and an optional voice note kept inside the
encrypted vault. Around them:

* :mod:`~halqa.listening.events`: the event kinds, the projections and the checks their payloads make;
* :mod:`~halqa.listening.write`: validating and recording grievances, themes, group keys, borders;
* :mod:`~halqa.listening.read`: typed reads (the only module, with events, whose SQL names the tables);
* :mod:`~halqa.listening.importer`: CSV/JSON import (every bad row reported, good rows kept);
* :mod:`~halqa.listening.codebook`: disguised shopping-list notes, keyed per circle;
* :mod:`~halqa.listening.suggest`: offline theme suggestion (lexicon + a classifier trained on
  the circle's confirmed labels; optional packaged embeddings);
* :mod:`~halqa.listening.analysis`: shared causes across groups, hotspots (Gi*), trends;
* :mod:`~halqa.listening.evaluation`: honest evaluation of the classifier on labelled data;
* :mod:`~halqa.listening.text`: normalising, language detection, the packaged themes and lexicon;
* :mod:`~halqa.listening.demo`: the demo step and the decoy's notes.
"""

from __future__ import annotations

from halqa.listening.analysis import (
    GroupShare,
    HotspotPlace,
    Hotspots,
    ListeningData,
    SharedCauses,
    SharedTheme,
    ThemeTrend,
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
    DecodedLine,
    adopt_codebook,
    codebook,
    codebook_for_key,
    decode_lines,
    encode_line,
    fresh_codebook_key,
)
from halqa.listening.demo import decoy, demo
from halqa.listening.demo import decoy_session as decoy_session  # for halqa.domains, not public API
from halqa.listening.events import TONES
from halqa.listening.importer import COLUMNS, ImportReport, import_grievances
from halqa.listening.read import Border, Grievance, Theme, borders, get_grievance, group_keys, list_grievances, themes, voice_note
from halqa.listening.suggest import SuggestedThemes, ThemeModel, ThemeSuggestion, suggest_for_texts, suggest_themes, train_model
from halqa.listening.text import detect_language, normalise
from halqa.listening.write import (
    add_grievance,
    add_group_key,
    add_theme,
    attach_voice,
    confirm_themes,
    delete_grievance,
    set_border,
)

__all__ = [
    "COLUMNS",
    "QUIET_ACTIONS",
    "TONES",
    "Border",
    "Codebook",
    "DecodedLine",
    "Grievance",
    "GroupShare",
    "HotspotPlace",
    "Hotspots",
    "ImportReport",
    "ListeningData",
    "SharedCauses",
    "SharedTheme",
    "SuggestedThemes",
    "Theme",
    "ThemeModel",
    "ThemeSuggestion",
    "ThemeTrend",
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
