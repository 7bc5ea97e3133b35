"""The economic dashboard as an Excel workbook."""

from __future__ import annotations

from digipark.core import spreadsheet
from digipark.economy.schemas import Dashboard

FIGURE_TITLES = {
    "output_value_wan_yuan": "工业总产值（万元）",
    "sales_revenue_wan_yuan": "营业收入（万元）",
    "tax_paid_wan_yuan": "实缴税金（万元）",
    "total_profit_wan_yuan": "利润总额（万元）",
    "employees": "从业人员（人）",
    "rnd_spending_wan_yuan": "研发费用（万元）",
    "electricity_kwh": "用电量（千瓦时）",
    "export_value_wan_yuan": "出口交货值（万元）",
}


def _headers(*pairs: tuple[str, str]) -> list[str]:
    return [f"{zh} ({key})" for zh, key in pairs]


def dashboard_xlsx(found: Dashboard) -> bytes:
    """The dashboard's tables as a workbook: figures, industries, sizes, 亩均 ranking, rankings, warnings."""
    book = spreadsheet.new_workbook()
    spreadsheet.add_table_sheet(
        book,
        f"指标 figures {found.period:%Y-%m}",
        _headers(
            ("指标", "figure"),
            ("单位", "unit"),
            ("本月", "month_total"),
            ("本年累计", "ytd_total"),
            ("同比%", "yoy_percent"),
            ("环比%", "mom_percent"),
            ("累计同比%", "ytd_yoy_percent"),
            ("累计同比可比企业", "ytd_comparable"),
            ("累计同比剔除企业", "ytd_excluded"),
        ),
        [
            (
                FIGURE_TITLES.get(f.figure, f.figure),
                f.unit,
                f.month_total,
                f.ytd_total,
                f.yoy.percent,
                f.mom.percent,
                f.ytd_yoy.percent,
                f.ytd_yoy.comparable,
                f.ytd_yoy.excluded,
            )
            for f in found.figures
        ],
    )
    breakdown_headers = _headers(
        ("分组", "key"),
        ("名称", "label"),
        ("报送企业", "enterprises"),
        ("本月产值", "output_month"),
        ("累计产值", "output_ytd"),
        ("累计税金", "tax_ytd"),
        ("累计产值同比%", "output_ytd_yoy_percent"),
    )
    for title, rows in (
        ("分行业 industries", found.by_industry),
        ("分规模 size", [*found.by_scale, *found.by_employees]),
    ):
        spreadsheet.add_table_sheet(
            book,
            title,
            breakdown_headers,
            [
                (b.key, b.label_zh, b.enterprises, b.output_month, b.output_ytd, b.tax_ytd, b.output_ytd_yoy.percent)
                for b in rows
            ],
        )
    spreadsheet.add_table_sheet(
        book,
        "亩均 per mu",
        _headers(
            ("排名", "rank"),
            ("企业", "name"),
            ("行业代码", "industry_code"),
            ("用地（亩）", "land_mu"),
            ("近12个月产值（万元）", "output_ttm"),
            ("近12个月税金（万元）", "tax_ttm"),
            ("亩均产值（万元/亩）", "output_per_mu"),
            ("亩均税收（万元/亩）", "tax_per_mu"),
        ),
        [
            (r.rank, r.name, r.industry_code, r.land_mu, r.output_ttm, r.tax_ttm, r.output_per_mu, r.tax_per_mu)
            for r in found.land.ranked
        ],
    )
    rank_headers = _headers(
        ("企业", "name"),
        ("行业代码", "industry_code"),
        ("累计产值（万元）", "output_ytd"),
        ("累计同比%", "output_ytd_yoy_percent"),
    )
    for title, ranks in (
        ("产值前列 top", found.top),
        ("增长最快 fastest", found.top_growth),
        ("增长最慢 slowest", found.bottom_growth),
    ):
        spreadsheet.add_table_sheet(
            book,
            title,
            rank_headers,
            [(r.name, r.industry_code, r.output_ytd, r.output_ytd_yoy_percent) for r in ranks],
        )
    spreadsheet.add_table_sheet(
        book,
        "预警 warnings",
        _headers(
            ("企业", "name"), ("规则", "rule"), ("级别", "severity"), ("原因", "reason_zh"), ("reason", "reason_en")
        ),
        [(w.name, w.rule, w.severity, w.reason_zh, w.reason_en) for w in found.warnings],
    )
    return spreadsheet.save(book)
