"""Tests of the translations: each language has exactly the keys of en.json, and loads.

en.json is the source of truth. Every other file in translations/ must have the same key
paths (none missing, none extra), a non-empty string wherever English has one, the same
`{placeholder}` set per string (Home Assistant drops a string whose set differs and shows the
English one), the same code spans, URLs and Markdown line structure, and only `[%key:…%]`
references that English has at that key and that resolve in en.json. Home Assistant does not
expand those references for custom integrations, so a reference English does not use would
be shown verbatim.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
import json
import logging
from pathlib import Path
import re
import string
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.face_access.const import DOMAIN

TRANSLATIONS = Path(__file__).parent.parent / "custom_components" / DOMAIN / "translations"
SOURCE_LANGUAGE = "en"
# The languages the integration must ship; any further file in translations/ is checked too.
REQUIRED_LANGUAGES = ("de", "zh-Hans")
LANGUAGES = sorted(
    {*REQUIRED_LANGUAGES}
    | {path.stem for path in TRANSLATIONS.glob("*.json") if path.stem != SOURCE_LANGUAGE}
)

REFERENCE = re.compile(r"\[%key:([^%]*)%\]")
CODE_SPAN = re.compile(r"`[^`]*`")
URL = re.compile(r"https?://[^\s)`<>\]]+")
# A line's Markdown block prefix: indentation plus a list marker, heading or quote.
MARKDOWN_PREFIX = re.compile(r"\s*(?:[-*+] |\d+\. |#+ |> )?")

type KeyPath = tuple[str, ...]


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, refusing a key that occurs twice (json keeps the last silently)."""
    counts = Counter(key for key, _ in pairs)
    if duplicates := sorted(key for key, count in counts.items() if count > 1):
        raise ValueError(f"duplicate keys: {duplicates}")
    return dict(pairs)


def parse(text: str) -> dict[str, Any]:
    """Parse a translation file's text strictly: valid JSON, an object, no duplicate keys."""
    data = json.loads(text, object_pairs_hook=_object_without_duplicates)
    if not isinstance(data, dict):
        raise TypeError(f"the top level is a {type(data).__name__}, not an object")
    return data


def load(language: str) -> dict[str, Any]:
    """Read and parse translations/<language>.json."""
    return parse((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))


def flatten(data: Mapping[str, Any], prefix: KeyPath = ()) -> dict[KeyPath, Any]:
    """Map each leaf's key path to its value; an empty object counts as a leaf."""
    leaves: dict[KeyPath, Any] = {}
    for key, value in data.items():
        path = (*prefix, key)
        if isinstance(value, dict) and value:
            leaves.update(flatten(value, path))
        else:
            leaves[path] = value
    return leaves


def placeholders(text: str) -> set[str]:
    """The `{…}` field names of a string, parsed as Home Assistant parses them."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def markdown_shape(text: str) -> list[str]:
    """The Markdown block prefix of every line: the same list, in the same lines."""
    shape: list[str] = []
    for line in text.split("\n"):
        match = MARKDOWN_PREFIX.match(line)
        shape.append(match.group() if match else "")
    return shape


def resolve(reference: str, source: Mapping[KeyPath, Any]) -> str | None:
    """The English string a `[%key:…%]` reference points at, or None if it points nowhere.

    Only references into this integration's own strings can be resolved here (and English
    is the only place they would be expanded from).
    """
    parts = tuple(reference.split("::"))
    if parts[:2] != ("component", DOMAIN):
        return None
    target = source.get(parts[2:])
    if not isinstance(target, str) or REFERENCE.search(target):
        return None
    return target


def _show(path: KeyPath) -> str:
    """A key path as a dotted string for messages."""
    return ".".join(path)


def _string_problems(
    path: KeyPath, english: str, text: Any, source: Mapping[KeyPath, Any]
) -> list[str]:
    """What is wrong with one translated string compared with its English original."""
    where = _show(path)
    if not isinstance(text, str):
        return [f"{where}: {type(text).__name__} where English has a string"]
    if not text.strip():
        return [f"{where}: empty"]
    problems: list[str] = []
    try:
        if (got := placeholders(text)) != (want := placeholders(english)):
            problems.append(f"{where}: placeholders {sorted(got)} != English {sorted(want)}")
    except ValueError as err:
        problems.append(f"{where}: unbalanced braces ({err})")
    for name, pattern in (("code spans", CODE_SPAN), ("URLs", URL)):
        if sorted(got_list := pattern.findall(text)) != sorted(
            want_list := pattern.findall(english)
        ):
            problems.append(f"{where}: {name} {got_list} != English {want_list}")
    if (got_shape := markdown_shape(text)) != (want_shape := markdown_shape(english)):
        problems.append(f"{where}: Markdown lines {got_shape} != English {want_shape}")
    english_references = set(REFERENCE.findall(english))
    for reference in REFERENCE.findall(text):
        if reference not in english_references:
            problems.append(
                f"{where}: reference [%key:{reference}%] is not in English here"
                " (Home Assistant would show it verbatim)"
            )
        elif resolve(reference, source) is None:
            problems.append(f"{where}: reference [%key:{reference}%] does not resolve")
    return problems


def translation_problems(source: Mapping[str, Any], translation: Mapping[str, Any]) -> list[str]:
    """Every difference of a translation from en.json that breaks it, as messages."""
    english = flatten(source)
    translated = flatten(translation)
    problems = [f"{_show(path)}: missing" for path in english if path not in translated]
    problems += [f"{_show(path)}: not in en.json" for path in translated if path not in english]
    for path, original in english.items():
        if path not in translated:
            continue
        if isinstance(original, str):
            problems += _string_problems(path, original, translated[path], english)
        elif translated[path] != original:
            problems.append(f"{_show(path)}: {translated[path]!r} where English has {original!r}")
    return problems


def source_problems(source: Mapping[str, Any]) -> list[str]:
    """What is wrong with en.json itself: non-strings, empty strings, dangling references."""
    english = flatten(source)
    problems: list[str] = []
    for path, value in english.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{_show(path)}: {value!r} is not a non-empty string")
            continue
        problems += [
            f"{_show(path)}: reference [%key:{reference}%] does not resolve"
            for reference in REFERENCE.findall(value)
            if resolve(reference, english) is None
        ]
    return problems


# The checks themselves, on small made-up files: each broken file must be reported.

SAMPLE = {
    "config": {
        "step": {"user": {"title": "Add {name}", "description": "Set `{server}`:\n\n- **A**"}},
        "abort": {"done": "[%key:component::face_access::config::step::user::title%]"},
    },
    "selector": {"mode": {"options": {"push": "Direct, see https://example.com/a"}}},
}


def _sample_with(path: KeyPath, value: Any) -> dict[str, Any]:
    """A deep copy of SAMPLE with the value at path replaced (or removed, for ...)."""
    copy: dict[str, Any] = json.loads(json.dumps(SAMPLE))
    node = copy
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return copy


def test_sample_is_consistent() -> None:
    """The made-up source passes, so each failure below is the change's doing."""
    assert source_problems(SAMPLE) == []
    assert translation_problems(SAMPLE, SAMPLE) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("config", "step", "user", "title"), ..., "config.step.user.title: missing"),
        (("config", "extra"), "Extra", "config.extra: not in en.json"),
        (("config", "step", "user", "title"), "", "config.step.user.title: empty"),
        (("config", "step", "user", "title"), "   ", "config.step.user.title: empty"),
        (("config", "step", "user", "title"), 3, "config.step.user.title: int where"),
        (("config", "step", "user", "title"), {"x": "y"}, "config.step.user.title: missing"),
        (("config", "step", "user", "title"), "Hinzufügen", "placeholders [] != English"),
        (("config", "step", "user", "title"), "{Name} hinzufügen", "placeholders ['Name']"),
        (("config", "step", "user", "title"), "{name hinzufügen", "unbalanced braces"),
        (
            ("config", "step", "user", "description"),
            "Setze {server}:\n\n- **A**",
            "code spans [] != English ['`{server}`']",
        ),
        (
            ("config", "step", "user", "description"),
            "Setze `{server}`: - **A**",
            "Markdown lines",
        ),
        (
            ("selector", "mode", "options", "push"),
            "Direkt, siehe https://example.de/a",
            "URLs ['https://example.de/a']",
        ),
        (
            ("config", "step", "user", "title"),
            "[%key:component::face_access::config::abort::done%] {name}",
            "is not in English here",
        ),
    ],
)
def test_checks_find_broken_translations(path: KeyPath, value: Any, expected: str) -> None:
    """Each kind of breakage is reported with the key it is at."""
    problems = translation_problems(SAMPLE, _sample_with(path, value))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "reference",
    [
        "component::face_access::config::step::user::missing",
        "component::other::config::step::user::title",
        "common::config_flow::data::host",
        "component::face_access::config::abort::done",
    ],
)
def test_checks_find_dangling_references(reference: str) -> None:
    """A reference to a missing key, to another integration, or to a reference fails."""
    source = _sample_with(("config", "abort", "done2"), f"[%key:{reference}%]")
    assert any("does not resolve" in problem for problem in source_problems(source))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": "x", "a": "y"}', "duplicate keys: ['a']"),
        ('["a"]', "not an object"),
        ('{"a": "x",}', "line 1 column"),
    ],
)
def test_parse_is_strict(text: str, expected: str) -> None:
    """Duplicate keys, a non-object top level and invalid JSON are refused."""
    with pytest.raises((ValueError, TypeError), match=re.escape(expected)):
        parse(text)


# The real files.


def test_languages_present() -> None:
    """The required translations exist next to en.json."""
    assert (TRANSLATIONS / f"{SOURCE_LANGUAGE}.json").is_file()
    for language in REQUIRED_LANGUAGES:
        assert (TRANSLATIONS / f"{language}.json").is_file(), language


def test_english_source() -> None:
    """en.json is strict JSON with non-empty strings and resolvable references."""
    assert source_problems(load(SOURCE_LANGUAGE)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_matches_english(language: str) -> None:
    """Same key paths as en.json, and each string a usable translation of its original."""
    assert translation_problems(load(SOURCE_LANGUAGE), load(language)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_is_translated(language: str) -> None:
    """Most strings differ from English, so the file is not an untranslated copy."""
    english = flatten(load(SOURCE_LANGUAGE))
    translated = flatten(load(language))
    same = [path for path, text in english.items() if translated.get(path) == text]
    assert len(same) < len(english) // 10, [_show(path) for path in same]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_home_assistant_loads_translation(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, language: str
) -> None:
    """Home Assistant serves every translated string as written, for every category.

    Home Assistant replaces a string whose placeholders differ from English by the English
    one (and logs it), so every string must come back exactly as the file has it.
    """
    english = load(SOURCE_LANGUAGE)
    translation = load(language)
    expected = {
        f"component.{DOMAIN}.{'.'.join(path)}": text for path, text in flatten(translation).items()
    }
    caplog.set_level(logging.ERROR, logger="homeassistant.helpers.translation")
    served: dict[str, str] = {}
    for category in english:
        served |= await async_get_translations(hass, language, category, [DOMAIN])
    assert {key: served.get(key) for key in expected} == expected
    assert "Validation of translation placeholders" not in caplog.text

    title = f"component.{DOMAIN}.config.step.user.title"
    config = await async_get_translations(hass, language, "config", [DOMAIN])
    assert config[title] == translation["config"]["step"]["user"]["title"]
    assert config[title] != english["config"]["step"]["user"]["title"]
