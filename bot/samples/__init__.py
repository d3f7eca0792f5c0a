"""Sample plan tables shipped with the package (real municipal documents; see SOURCES.md).

`hokoku demo` imports one of them, `hokoku samples` lists them and hands out their path,
and the tests read them through `files("bot.samples")`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    file: str
    plan_name: str
    about: str


CATALOGUE = {
    "nishitokyo": Sample(
        "nishitokyo_plan.csv",
        "西東京市 第4次男女平等参画推進計画",
        "体系図: 基本目標›課題›施策›事業、担当課4列（111事業、35担当課）",
    ),
    "kiyose": Sample(
        "kiyose_plan.csv",
        "清瀬市 男女平等推進プラン（抜粋）",
        "目標4: 番号の列と事業名の列（11事業、3担当課）",
    ),
    "tsurugashima": Sample(
        "tsurugashima_results_excerpt.csv",
        "鶴ヶ島市 男女共同参画推進計画（抜粋）",
        "令和5年度 達成状況一覧 基本目標Iの抜粋（7項目、9担当課）",
    ),
}
