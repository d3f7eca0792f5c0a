"""The pure parts of reading printed tables: header words and their year labels, heading
and note rows, and how a code and its title were spaced."""

from __future__ import annotations

import pytest

from handlers.plan.table_import.headers import HeaderText, is_header_word, read_header
from handlers.plan.table_import.rows import is_note, read_heading
from models.plan import join_code


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("達成度", HeaderText("達成度")),
        ("達成度（R7）", HeaderText("達成度", 2025)),
        ("達成度(R7)", HeaderText("達成度", 2025)),
        ("達成度（令和7年度）", HeaderText("達成度", 2025)),
        ("達成度（令和元年度）", HeaderText("達成度", 2019)),
        ("達成度（2025年度）", HeaderText("達成度", 2025)),
        ("令和5年度の取組実績", HeaderText("取組実績", 2023)),
        ("各課評価(H19)", HeaderText("各課評価", 2007)),
        ("H19評価", HeaderText("評価", 2007)),
        ("評価H19", HeaderText("評価", 2007)),
        ("前年度達成度", HeaderText("達成度", None, True)),
        ("担当課（R7）", HeaderText("担当課", 2025)),
        ("Grade (FY2025)", HeaderText("GRADE", 2025)),
        ("Previous grade", HeaderText("GRADE", None, True)),
        ("Department (FY2025)", HeaderText("DEPARTMENT", 2025)),
        ("HP掲載", HeaderText("HP掲載")),
    ],
)
def test_read_header_separates_word_and_year(text: str, read: HeaderText) -> None:
    assert read_header(text) == read


def test_header_words() -> None:
    assert all(is_header_word(w) for w in ["事業コード", "No.", "担当課（R7）", "所管部署", "施策"])
    assert not any(is_header_word(w) for w in ["女性センター", "11101", "情報誌の発行"])
    assert not is_header_word("各担当課", fragments=False)


@pytest.mark.parametrize(
    ("text", "label", "code", "title"),
    [
        ("基本目標Ⅰ 男女共同参画の意識づくり", "基本目標", "Ⅰ", "男女共同参画の意識づくり"),
        ("基本目標 I　人権の尊重", "基本目標", "I", "人権の尊重"),
        ("重点課題1 意識の啓発", "重点課題", "1", "意識の啓発"),
        ("課題２　働く場", "課題", "２", "働く場"),
        ("施策(1) 啓発", "施策", "(1)", "啓発"),
        ("目標：男女平等", "目標", "", "男女平等"),
        ("Ⅰ 人権の尊重", "", "Ⅰ", "人権の尊重"),
        ("1-2 啓発の推進", "", "1-2", "啓発の推進"),
    ],
)
def test_heading_rows(text: str, label: str, code: str, title: str) -> None:
    heading = read_heading(text)
    assert heading is not None
    assert (heading.label, heading.code, heading.title) == (label, code, title)


@pytest.mark.parametrize(
    "text", ["施策の推進体制の整備", "目標値", "第5次計画 事業一覧", "令和7年度 達成状況一覧", "4"]
)
def test_not_headings(text: str) -> None:
    assert read_heading(text) is None


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("※△検討 ○実施", True),
        ("注1 担当課は4月1日現在", True),
        ("（注）再掲を含む", True),
        ("注：再掲を含む", True),
        ("出典：内閣府", True),
        ("資料：市民意識調査", True),
        ("凡例", True),
        ("資料の収集と図書の貸し出し", False),
        ("注意喚起のポスター", False),
    ],
)
def test_note_rows(text: str, note: bool) -> None:
    assert is_note(text) is note


@pytest.mark.parametrize(
    ("code", "title", "spaced", "node", "shown"),
    [
        ("①", "男女", False, True, "①男女"),
        ("①", "男女", True, True, "① 男女"),
        ("(1)", "啓発", True, False, "(1) 啓発"),
        # Stored before the spacing was kept: circled numbers never spaced, `)` on items not.
        ("①", "男女", None, True, "①男女"),
        ("㉑", "男女", None, False, "㉑男女"),
        ("(1)", "啓発", None, True, "(1) 啓発"),
        ("(1)", "啓発", None, False, "(1)啓発"),
        ("I-1", "男女", None, True, "I-1 男女"),
    ],
)
def test_code_and_title_joined_as_written(
    code: str, title: str, spaced: bool | None, node: bool, shown: str
) -> None:
    assert join_code(code, False, title, spaced, node=node) == shown


def test_a_starred_code_stored_before_keeps_its_space() -> None:
    assert join_code("①", True, "学校教育", None, node=False) == "①★ 学校教育"
