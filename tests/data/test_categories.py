"""Category display names: an unknown code never reaches a page as its raw code."""

from __future__ import annotations

from data.categories import load_taxonomy


def test_a_code_the_taxonomy_lacks_reads_as_other_in_each_language() -> None:
    """A category removed from categories.toml after cases were stored: pages show "Khác"/"Other", not the code."""
    taxonomy = load_taxonomy()
    vi, en = taxonomy.names("vi"), taxonomy.names("en")
    assert vi["removed_code"] == taxonomy.name("other", "vi") and en["removed_code"] == taxonomy.name("other", "en")
    assert vi["waste"] == taxonomy.categories["waste"].name_vi and "removed_code" not in vi
