"""The Chinese catalogue is complete and the compiled catalogue matches it."""

import gettext
import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation():
    catalogue = polib.pofile(str(ZH_PO))
    missing = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    assert missing == []


def test_no_translation_is_marked_fuzzy():
    catalogue = polib.pofile(str(ZH_PO))
    assert [e.msgid for e in catalogue if "fuzzy" in e.flags] == []


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_compiled_catalogue_is_up_to_date(language):
    source = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in source.translated_entries():
        key = entry.msgid if not entry.msgctxt else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        else:
            assert compiled._catalog.get(key) == entry.msgstr, entry.msgid


def test_placeholders_survive_translation():
    catalogue = polib.pofile(str(ZH_PO))

    pattern = re.compile(r"%\((\w+)\)[sd]|\{\w+\}")
    for entry in catalogue.translated_entries():
        expected = sorted(pattern.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(pattern.findall(text)) == expected, entry.msgid
