"""Tests of digipark.core.codes: USCC, GB/T 4754-2017 industry codes, GB/T 2260 region codes."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from digipark.core.codes import (
    CodeError,
    gb11714_check_digit,
    industries,
    industry,
    is_manufacturing,
    make_uscc,
    region_name,
    section_of,
    uscc_check_digit,
    validate_industry_code,
    validate_region_code,
    validate_uscc,
)

# Written out independently of the data file, so the tests also check that file.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REAL_USCCS = ["91350100M000100Y43", "91110000802100433B"]
PROVINCE_PREFIXES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
]  # fmt: skip


def _data(name: str) -> str:
    return resources.files("digipark.core").joinpath("data").joinpath(name).read_text(encoding="utf-8")


def _reason(excinfo: pytest.ExceptionInfo[CodeError]) -> str:
    return excinfo.value.reason


def _with_check_digits(first17_without_org_check: str) -> str:
    """Complete 16 characters (positions 1-16) into a code whose two check digits are right."""
    body = first17_without_org_check[8:16]
    first17 = first17_without_org_check + gb11714_check_digit(body)
    return first17 + uscc_check_digit(first17)


# --- data files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["uscc_gb32100.yaml", "gbt4754_2017.yaml"])
def test_yaml_data_files_state_source_and_status(name: str) -> None:
    data = yaml.safe_load(_data(name))
    assert data["source"] and data["status"]


def test_region_data_states_source_and_status() -> None:
    data = json.loads(_data("gbt2260_regions.json"))
    assert data["source"] and data["status"]


def test_uscc_data_matches_gb32100() -> None:
    data = yaml.safe_load(_data("uscc_gb32100.yaml"))
    assert data["uscc"]["charset"] == USCC_CHARSET
    assert data["uscc"]["weights"] == [3**i % 31 for i in range(17)]
    assert data["gb11714"]["weights"] == [3, 7, 9, 10, 5, 8, 4, 2]


# --- USCC ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_codes_are_valid(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_digit(code[:17]) == code[17]
    assert gb11714_check_digit(code[8:16]) == code[16]


def test_uscc_is_normalised() -> None:
    assert validate_uscc("  91350100m000100y43 ") == "91350100M000100Y43"


def test_make_uscc_rebuilds_a_real_code() -> None:
    assert make_uscc("9", "1", "350100", "M000100Y") == "91350100M000100Y43"
    assert make_uscc("9", "1", "110000", "80210043") == "91110000802100433B"


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y431", "9135"])
def test_wrong_length(code: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        validate_uscc(code)
    assert _reason(excinfo).startswith("wrong length")


def test_invalid_character_names_char_and_position() -> None:
    code = REAL_USCCS[0][:4] + "I" + REAL_USCCS[0][5:]
    with pytest.raises(CodeError) as excinfo:
        validate_uscc(code)
    assert _reason(excinfo) == "invalid character 'I' at position 5"


@pytest.mark.parametrize("bad", ["O", "Z", "S", "V", "-", "中"])
def test_characters_outside_the_set_are_rejected(bad: str) -> None:
    with pytest.raises(CodeError, match="invalid character"):
        validate_uscc(REAL_USCCS[1][:12] + bad + REAL_USCCS[1][13:])


def test_wrong_check_digit_names_the_right_one() -> None:
    with pytest.raises(CodeError) as excinfo:
        validate_uscc(REAL_USCCS[1][:17] + "A")
    assert _reason(excinfo) == "check digit should be 'B'"


def test_wrong_organisation_check_digit() -> None:
    # Organisation code 80210043 has check digit 3; put 4 there and fix the USCC check digit.
    first17 = "91110000802100434"
    code = first17 + uscc_check_digit(first17)
    with pytest.raises(CodeError) as excinfo:
        validate_uscc(code)
    assert _reason(excinfo) == "organisation code check digit should be '3'"


def test_organisation_check_digit_x_and_0() -> None:
    assert gb11714_check_digit("00000000") == "0"  # weighted sum 0: 11 - 0 = 11 -> "0"
    assert gb11714_check_digit("00009000") == "X"  # weighted sum 45 = 1 mod 11: 11 - 1 = 10 -> "X"
    assert gb11714_check_digit("00000002") == "7"  # weighted sum 4: 11 - 4 = 7


def test_unknown_province_in_region() -> None:
    code = _with_check_digits("9199000080210043")
    with pytest.raises(CodeError) as excinfo:
        validate_uscc(code)
    assert _reason(excinfo) == "unknown region code '990000': no province '99'"


def test_region_must_be_digits() -> None:
    code = _with_check_digits("913205A080210043")
    with pytest.raises(CodeError, match="must be 6 digits"):
        validate_uscc(code)


def test_uscc_rejects_non_strings() -> None:
    with pytest.raises(CodeError, match="expected a string"):
        validate_uscc(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("99", "1", "320000", "12345678"), "registration authority"),
        (("9", "I", "320000", "12345678"), "category"),
        (("9", "1", "990000", "12345678"), "no province"),
        (("9", "1", "32000", "12345678"), "6 digits"),
        (("9", "1", "320000", "1234567"), "8 characters"),
        (("9", "1", "320000", "1234567O"), "invalid character 'O' at position 8"),
    ],
)
def test_make_uscc_rejects_bad_parts(args: tuple[str, str, str, str], message: str) -> None:
    with pytest.raises(CodeError, match=message):
        make_uscc(*args)


uscc_parts = st.tuples(
    st.sampled_from(USCC_CHARSET),
    st.sampled_from(USCC_CHARSET),
    st.builds(
        lambda p, rest: p + rest,
        st.sampled_from(PROVINCE_PREFIXES),
        st.from_regex(r"[0-9]{4}", fullmatch=True),
    ),
    st.text(alphabet=USCC_CHARSET, min_size=8, max_size=8),
)


@given(uscc_parts)
def test_make_uscc_always_validates(parts: tuple[str, str, str, str]) -> None:
    code = make_uscc(*parts)
    assert len(code) == 18
    assert validate_uscc(code) == code
    assert code[2:8] == parts[2]


@given(uscc_parts, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_CHARSET + "IOZSV-*"))
def test_changing_any_single_character_invalidates(
    parts: tuple[str, str, str, str], position: int, replacement: str
) -> None:
    code = make_uscc(*parts)
    if code[position] == replacement:
        replacement = USCC_CHARSET[(USCC_CHARSET.index(replacement) + 1) % len(USCC_CHARSET)]
    mutated = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(CodeError):
        validate_uscc(mutated)


# --- GB/T 4754-2017 ---------------------------------------------------------------------------------


def test_counts_match_the_standard() -> None:
    assert len(industries("section")) == 20
    assert len(industries("division")) == 97
    assert len(industries("group")) == 473


def test_three_levels() -> None:
    section = industry("C")
    assert (section.level, section.name_zh, section.name_en, section.parent) == (
        "section",
        "制造业",
        "Manufacturing",
        None,
    )
    division = industry("13")
    assert (division.level, division.name_zh, division.section, division.parent) == (
        "division",
        "农副食品加工业",
        "C",
        "C",
    )
    assert division.name_en
    group = industry("131")
    assert (group.level, group.name_zh, group.section, group.parent) == ("group", "谷物磨制", "C", "13")


def test_four_digit_class_is_reported_under_its_group() -> None:
    cls = industry("C1311")
    assert (cls.code, cls.level, cls.name_zh, cls.parent, cls.section) == (
        "1311",
        "class",
        "谷物磨制",
        "131",
        "C",
    )
    assert cls.note and "131" in cls.note


@pytest.mark.parametrize(
    ("code", "normalised"),
    [
        ("C", "C"),
        ("c", "C"),
        ("13", "13"),
        ("C13", "13"),
        ("131", "131"),
        ("C131", "131"),
        (" c131 ", "131"),
        ("1311", "1311"),
        ("C1311", "1311"),
        ("6513", "6513"),
        ("I65", "65"),
        ("T", "T"),
        ("97", "97"),
        ("01", "01"),
    ],
)
def test_validate_industry_code_normalises(code: str, normalised: str) -> None:
    assert validate_industry_code(code) == normalised


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "not an industry code"),
        ("C-13", "not an industry code"),
        ("13C", "not an industry code"),
        ("U", "unknown section 'U'"),
        ("1", "wrong length"),
        ("13111", "wrong length"),
        ("98", "unknown division '98'"),
        ("00", "unknown division '00'"),
        ("138", "unknown group '138'"),
        ("1381", "unknown group '138'"),
        ("A13", "section 'A' does not match division 13 (section C)"),
    ],
)
def test_unknown_industry_codes_are_rejected(code: str, reason: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        validate_industry_code(code)
    assert _reason(excinfo).startswith(reason)


def test_manufacturing_is_divisions_13_to_43() -> None:
    codes = [d.code for d in industries("division", section="C")]
    assert codes == [str(n) for n in range(13, 44)]
    assert len(codes) == 31
    assert all(d.name_en for d in industries("division", section="c"))
    assert is_manufacturing("C")
    assert is_manufacturing("3973")
    assert is_manufacturing("131")
    assert not is_manufacturing("12")
    assert not is_manufacturing("44")
    assert not is_manufacturing("6513")


def test_hierarchy_is_consistent() -> None:
    sections = {s.code for s in industries("section")}
    assert sections == set("ABCDEFGHIJKLMNOPQRST")
    divisions = {d.code: d for d in industries("division")}
    for group in industries("group"):
        assert group.parent in divisions
        assert group.section == divisions[group.code[:2]].section
    for division in divisions.values():
        assert division.parent == division.section
        assert [g for g in industries("group") if g.parent == division.code], division


def test_section_of() -> None:
    assert section_of("651") == "I"
    assert section_of("A") == "A"
    assert section_of("0511") == "A"


def test_industries_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="not in our data"):
        industries("class")
    with pytest.raises(CodeError, match="unknown section"):
        industries("division", section="Z")


# --- GB/T 2260 --------------------------------------------------------------------------------------


def test_provinces() -> None:
    data = json.loads(_data("gbt2260_regions.json"))
    assert len(data["provinces"]) == 34
    assert validate_region_code("320000") == "320000"
    assert region_name("320000") == "江苏省"
    assert validate_region_code("110000") == "110000"
    assert region_name("110000") == "北京市"
    assert region_name("810000") == "香港特别行政区"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("320500", "江苏省苏州市"),
        ("320506", "江苏省苏州市吴中区"),
        ("320583", "江苏省苏州市昆山市"),
        ("110105", "北京市朝阳区"),
        ("310115", "上海市浦东新区"),
        ("429004", "湖北省仙桃市"),
        ("441900", "广东省东莞市"),
        ("110100", "北京市市辖区"),
    ],
)
def test_region_names(code: str, name: str) -> None:
    assert validate_region_code(code) == code
    assert region_name(code) == name


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("990000", "unknown region code: no province '99'"),
        ("000000", "unknown region code: no province '00'"),
        ("32000", "region code must be 6 digits"),
        ("32050A", "region code must be 6 digits"),
        ("320599", "unknown region code"),
        ("329900", "unknown region code"),
    ],
)
def test_invalid_region_codes(code: str, reason: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        validate_region_code(code)
    assert _reason(excinfo) == reason
    assert region_name(code) is None


def test_retired_codes_are_accepted_unless_current_only() -> None:
    # 杭州市下城区 was merged away in 2021, but codes issued before keep it.
    assert validate_region_code("330103") == "330103"
    assert region_name("330103") == "浙江省杭州市下城区"
    assert region_name("371202") == "山东省莱芜市莱城区"
    with pytest.raises(CodeError, match="retired region code"):
        validate_region_code("330103", current_only=True)
    assert validate_region_code("320506", current_only=True) == "320506"


def test_codes_below_incomplete_provinces_are_not_checked() -> None:
    assert validate_region_code("710100") == "710100"
    assert region_name("710100") is None
