"""Write dashboards.po (zh, en) from the table below (a helper of this branch, not shipped)."""
import pathlib, sys
ZH = {
"Dashboards": "看板", "Scheduled reports": "定时报表", "Duty app": "值班应用",
"Add a widget": "添加组件", "Alarm list": "告警列表", "Alarms shown": "显示告警条数",
"Carbon emissions": "碳排放", "Carbon emissions this year": "本年碳排放", "Carbon year on year": "碳排放同比",
"Construction standards met": "达标的建设标准", "Create": "创建", "Dashboard file (JSON)": "看板文件（JSON）",
"Data contracts": "数据合约", "Data products": "数据产品", "Delete dashboard": "删除看板",
"Economic monitoring (monthly)": "经济运行监测（月报）", "Energy (equal value)": "综合能耗（等价值）",
"Energy (equivalent value)": "综合能耗（当量值）", "Energy and carbon of the park": "园区能耗与碳排放",
"Energy intensity": "能耗强度", "Energy this year": "本年综合能耗", "Energy year on year": "能耗同比",
"Enterprise carbon report": "企业碳排放报告", "Evaluation of the four standards": "四项建设标准评价",
"Export": "导出", "Figure": "指标", "Figures of a table": "表格中的指标", "File schema": "文件格式说明",
"Gauge": "仪表盘", "Gauge maximum": "仪表盘最大值", "Gauge minimum": "仪表盘最小值",
"Import a dashboard": "导入看板", "Industrial output value (month)": "工业总产值（当月）", "KPI tile": "指标卡",
"Last 12 months": "近12个月", "Last 30 days": "近30天", "Last 7 days": "近7天", "Last hour": "近1小时",
"Name (if another)": "名称（如需另取）", "New dashboard": "新建看板", "Operating revenue (month)": "营业收入（当月）",
"Points (ids, comma-separated)": "测点（编号，逗号分隔）", "Remove": "移除", "Reporting enterprises": "填报企业数",
"Safety situation": "安全态势", "Shared with": "共享给", "Solid-waste ledger": "一般工业固体废物台账",
"Table": "表格", "Tax paid (month)": "纳税额（当月）", "This dashboard has no widgets yet.": "此看板还没有组件。",
"Time range": "时间范围", "Time-series chart": "时序曲线", "Visitor passes in 30 days": "近30天访客通行证",
"Widgets": "组件", "Width (of 12 columns)": "宽度（共12列）", "Work orders in 30 days": "近30天工单",
"tce per 10k yuan": "吨标准煤/万元",
"Scheduled report not delivered": "定时报表发送失败", "Subscriber": "订阅人", "Scheduled for": "计划时间", "Attempts": "尝试次数",
}
EXTRA = {}
if len(sys.argv) > 1:
    exec(pathlib.Path(sys.argv[1]).read_text())
    ZH.update(EXTRA)
HEAD = '''# digipark dashboards: {lang_name}.
# Messages of digipark.dashboards and web/templates/dashboards that no other catalogue has; merged with messages.po at run time.
msgid ""
msgstr ""
"Project-Id-Version: digipark 0.1.0\\n"
"Language: {lang}\\n"
"Plural-Forms: nplurals={n}; plural={rule};\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
'''
def esc(s): return s.replace("\\", "\\\\").replace('"', '\\"')
root = pathlib.Path("src/digipark/web/locales")
for lang, name, n, rule in (("zh", "Simplified Chinese (zh-CN), the default language", 1, "0"), ("en", "English", 2, "(n != 1)")):
    out = [HEAD.format(lang_name=name, lang="zh_Hans_CN" if lang == "zh" else "en", n=n, rule=rule)]
    for k, v in ZH.items():
        out.append(f'msgid "{esc(k)}"\nmsgstr "{esc(v if lang == "zh" else k)}"\n')
    (root / lang / "LC_MESSAGES" / "dashboards.po").write_text("\n".join(out), encoding="utf-8")
