"""Seniority from job titles: who is senior enough for the referral ask."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from prospector.domain.seniority import Seniority, parse_seniority, seniority_from_title

C, VP, DIR, MGR, IC, UNKNOWN = (
    Seniority.C_LEVEL,
    Seniority.VP,
    Seniority.DIRECTOR,
    Seniority.MANAGER,
    Seniority.INDIVIDUAL,
    Seniority.UNKNOWN,
)

ENGLISH = [
    ("CEO", C),
    ("ceo", C),
    ("Chief Executive Officer", C),
    ("Chief Revenue & Growth Officer", C),
    ("Co-Founder & CTO", C),
    ("Cofounder", C),
    ("Founder", C),
    ("Owner", C),
    ("Co-owner", C),
    ("Business Owner", C),
    ("President", C),
    ("Chairman of the Board", C),
    ("Board Member", C),
    ("Managing Director", C),
    ("General Manager", C),
    ("Partner", C),
    ("Partner at Sequoia", C),
    ("Partner, Deloitte", C),
    ("Managing Partner", C),
    ("CFO / COO", C),
    ("Founder & Head of Product", C),  # the most senior role named wins
    ("Vice President of Sales", VP),
    ("Senior Vice-President", VP),
    ("SVP Marketing", VP),
    ("EVP", VP),
    ("VP, Engineering", VP),
    ("Assistant Vice President", VP),
    ("Vice Chairman", VP),
    ("Head of Sales", VP),
    ("Global Head of Partnerships", VP),
    ("Sales Head", VP),
    ("Director of Engineering", DIR),
    ("Sr. Director, Product", DIR),
    ("Executive Director", DIR),
    ("Associate Director", DIR),
    ("Assistant Director", DIR),
    ("Associate Partner", DIR),
    ("Chief of Staff", DIR),
    ("Chief of Staff to the CEO", DIR),
    ("Chief Engineer", DIR),
    ("Editor-in-Chief", DIR),
    ("Engineering Manager", MGR),
    ("Customer Success Manager", MGR),
    ("Assistant Manager", MGR),
    ("Team Lead", MGR),
    ("Tech Lead", MGR),
    ("Supervisor", MGR),
    ("Product Owner", MGR),
    ("Partner Manager", MGR),
    ("Software Engineer", IC),
    ("Senior Data Analyst", IC),
    ("Lead Generation Specialist", IC),
    ("Account Executive", IC),
    ("Executive Assistant", IC),
    ("Assistant to the CEO", IC),
    ("Director's assistant", IC),
    ("PA to the Managing Director", IC),
    ("HR Business Partner", IC),
    ("Sales Development Representative", IC),
    ("Operations Coordinator", IC),
    ("Marketing Intern", IC),
    ("Associate", IC),
    ("Principal Engineer", IC),
]

GERMAN = [
    ("Geschäftsführer", C),
    ("Geschäftsführerin", C),
    ("Mitglied der Geschäftsführung", C),
    ("Vorstand", C),
    ("Vorstandsvorsitzender", C),
    ("Finanzvorstand", C),
    ("Inhaber", C),
    ("Gründerin", C),
    ("Bereichsleiter", VP),
    ("Leiter Vertrieb", VP),
    ("Leiterin Marketing", VP),
    ("Vertriebsleiter", VP),
    ("Abteilungsleiter", DIR),
    ("Abteilungsleiterin Einkauf", DIR),
    ("Direktor", DIR),
    ("Verkaufsdirektor", DIR),
    ("Prokurist", DIR),
    ("Teamleiter", MGR),
    ("Team Leiter IT", MGR),
    ("Projektleiterin", MGR),
    ("Produktmanager", MGR),
    ("Sachbearbeiter", IC),
    ("Referentin", IC),
    ("Personalreferent", IC),
    ("Mitarbeiter Vertrieb", IC),
    ("Vertriebsmitarbeiterin", IC),
    ("Werkstudent", IC),
    ("Softwareentwickler", IC),
    ("Assistenz der Geschäftsführung", IC),
    ("Vorstandsassistentin", IC),
]

FRENCH = [
    ("PDG", C),
    ("Président-directeur général", C),
    ("DG", C),
    ("Directeur général", C),
    ("Directrice Générale", C),
    ("Fondatrice", C),
    ("Gérant", C),
    ("Directrice générale adjointe", VP),
    ("Vice-président", VP),
    ("Vice-présidente Ventes", VP),
    ("Directeur commercial", DIR),
    ("Directrice marketing", DIR),
    ("Responsable marketing", MGR),
    ("Chef de projet", MGR),
    ("Chef d'équipe", MGR),
    ("Ingénieur logiciel", IC),
    ("Chargée de communication", IC),
    ("Chargé d'affaires", IC),
    ("Stagiaire", IC),
    ("Assistante de direction", IC),
]

SPANISH = [
    ("Director General", C),
    ("Consejero Delegado", C),
    ("Director Ejecutivo", C),
    ("Fundadora", C),
    ("Gerente General", C),
    ("Presidente", C),
    ("Vicepresidente", VP),
    ("Vicepresidenta de Operaciones", VP),
    ("Directora de Marketing", DIR),
    ("Director de Ventas", DIR),
    ("Gerente de Ventas", MGR),
    ("Jefa de Proyecto", MGR),
    ("Jefe de Compras", MGR),
    ("Responsable de Compras", MGR),
    ("Coordinador de Logística", IC),
    ("Analista", IC),
    ("Ingeniera de Software", IC),
    ("Becario", IC),
    ("Asistente de dirección", IC),
]

CHINESE = [
    ("首席执行官", C),
    ("首席技术官", C),
    ("总裁", C),
    ("董事长", C),
    ("创始人", C),
    ("联合创始人", C),
    ("总经理", C),
    ("公司CTO", C),
    ("副总裁", VP),
    ("副总经理", VP),
    ("助理总裁", VP),
    ("销售总监", DIR),
    ("市场部经理", MGR),
    ("主管", MGR),
    ("工程师", IC),
    ("高级软件工程师", IC),
    ("销售专员", IC),
    ("助理", IC),
    ("总经理助理", IC),
    ("CEO助理", IC),
    ("实习生", IC),
]

ALL_TITLES = ENGLISH + GERMAN + FRENCH + SPANISH + CHINESE
SENIOR = [(title, level) for title, level in ALL_TITLES if level.rank >= MGR.rank]


@pytest.mark.parametrize(("title", "level"), ALL_TITLES)
def test_seniority_from_title(title: str, level: Seniority) -> None:
    assert seniority_from_title(title) is level


@pytest.mark.parametrize("title", ["", "   ", "\t\n", "asdfgh", "-", "N/A", "???", "12345"])
def test_titles_that_say_nothing_are_unknown(title: str) -> None:
    assert seniority_from_title(title) is UNKNOWN


def test_the_table_covers_every_level_in_every_language() -> None:
    assert len(ALL_TITLES) >= 60
    for table in (ENGLISH, GERMAN, FRENCH, SPANISH, CHINESE):
        assert {level for _, level in table} == {C, VP, DIR, MGR, IC}


@pytest.mark.parametrize(("title", "level"), ALL_TITLES)
def test_case_and_spacing_do_not_matter(title: str, level: Seniority) -> None:
    assert seniority_from_title(f"  {title.upper()}  ") is level
    assert seniority_from_title(title.replace(" ", "   ")) is level


@pytest.mark.parametrize(
    ("title", "level"), [(t, lvl) for t, lvl in SENIOR if "chief of staff" not in t.lower()]
)
def test_assisting_a_senior_person_is_not_being_one(title: str, level: Seniority) -> None:
    assert level is not IC
    assert seniority_from_title(f"Assistant to the {title}") is IC
    assert seniority_from_title(f"Executive Assistant, {title}") is IC


@given(st.text(max_size=80))
@example("")
@example("Assistant to the assistant to the CEO's Vice President Head of 总经理助理")
def test_any_text_gives_a_level_without_raising(title: str) -> None:
    level = seniority_from_title(title)
    assert isinstance(level, Seniority)
    if not title.strip():
        assert level is UNKNOWN


def _standalone(title: str, level: Seniority) -> bool:
    """Titles whose level holds wherever they sit in a longer title; leaves out the
    assistant guard, chief of staff, and "Partner"/"Principal" (a rank only when first)."""
    return (
        seniority_from_title(f"{title} & Intern") is level
        and seniority_from_title(f"Intern & {title}") is level
        and seniority_from_title(f"{title} & CEO") is C
    )


STANDALONE = [(title, level) for title, level in ALL_TITLES if _standalone(title, level)]


def test_most_titles_are_standalone() -> None:
    assert len(STANDALONE) > 0.8 * len(ALL_TITLES)


@given(
    st.sampled_from(STANDALONE), st.sampled_from(STANDALONE), st.sampled_from([" & ", " / ", ", "])
)
def test_a_title_naming_two_roles_gets_the_more_senior_one(
    first: tuple[str, Seniority], second: tuple[str, Seniority], joiner: str
) -> None:
    (title_a, level_a), (title_b, level_b) = first, second
    combined = seniority_from_title(f"{title_a}{joiner}{title_b}")
    assert combined is max(level_a, level_b, key=lambda level: level.rank)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("c_level", C),
        ("C-Level", C),
        ("c level", C),
        ("C-suite", C),
        ("CXO", C),
        ("Owner", C),
        ("founder", C),
        ("vp", VP),
        ("VP", VP),
        ("Vice President", VP),
        ("VP-Level", VP),
        ("head", VP),
        ("director", DIR),
        ("Directors", DIR),
        ("manager", MGR),
        ("Management", MGR),
        ("individual", IC),
        ("IC", IC),
        ("Individual Contributor", IC),
        ("entry", IC),
        ("unknown", UNKNOWN),
    ],
)
def test_parse_seniority_accepts_values_and_common_spellings(value: str, level: Seniority) -> None:
    assert parse_seniority(value) is level


@pytest.mark.parametrize("value", ["", "boss", "senior vp of stuff", "c__levels2"])
def test_parse_seniority_lists_the_allowed_values(value: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_seniority(value)
    message = str(caught.value)
    for level in Seniority:
        assert level.value in message


def test_parse_seniority_accepts_every_enum_value_and_name() -> None:
    for level in Seniority:
        assert parse_seniority(level.value) is level
        assert parse_seniority(level.name) is level


def test_rank_orders_levels_from_most_to_least_senior() -> None:
    ranks = [level.rank for level in Seniority]
    assert ranks == sorted(ranks, reverse=True)
    assert UNKNOWN.rank < IC.rank
