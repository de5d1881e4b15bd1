"""The pages' words in English and Chinese (Simplified): one table, looked up by key.

A key missing from the table is a programming error, raised at once, so a page never shows a key name
where a word should be. Column headings of the portfolio tables are keyed by column name; the aging
buckets' names (current, 1-30, over 180) are built from the settings and translated by their parts.
"""

from __future__ import annotations

import re

LANGUAGES = ("en", "zh")

WORDS: dict[str, tuple[str, str]] = {
    # navigation and frame
    "product": ("tradecredit", "tradecredit 信用风险"),
    "portfolio": ("Portfolio", "组合概览"),
    "watchlist": ("Watchlist", "观察名单"),
    "worklist": ("Collections worklist", "催收工作清单"),
    "customers": ("Customers", "客户"),
    "search": ("Search", "搜索"),
    "search_hint": ("customer id or name", "客户编号或名称"),
    "as_of": ("As of", "截至日期"),
    "show": ("Show", "显示"),
    "compare_to": ("compared with", "对比日期"),
    "signed_in_as": ("Signed in as", "当前用户"),
    "sign_in": ("Sign in", "登录"),
    "role_viewer": ("viewer", "查看者"),
    "role_credit_officer": ("credit officer", "信用专员"),
    "role_admin": ("admin", "管理员"),
    "sign_out": ("Sign out", "退出"),
    "user_name": ("User name", "用户名"),
    "password": ("Password", "密码"),
    "wrong_password": ("Unknown user or wrong password.", "用户名或密码错误。"),
    "too_many": ("Too many failed sign-ins: try again in 15 minutes.", "登录失败次数过多：请 15 分钟后再试。"),
    "no_users": (
        "No user can sign in yet: add one with `tradecredit users add NAME --role ROLE --password-stdin`.",
        "尚无可登录的用户：请用 `tradecredit users add NAME --role ROLE --password-stdin` 添加。",
    ),
    "signed_out": ("You are signed out.", "您已退出。"),
    "export_csv": ("CSV", "CSV"),
    "export_xlsx": ("Excel", "Excel"),
    "rows": ("rows", "行"),
    "page": ("Page", "页"),
    "previous": ("Previous", "上一页"),
    "next": ("Next", "下一页"),
    "no_rows": ("Nothing to show.", "没有记录。"),
    "no_data": ("no data", "无数据"),
    "all": ("all", "全部"),
    "filter": ("Filter", "筛选"),
    "loading": ("The models are still loading; this page will be ready in a moment.", "模型仍在加载，请稍候。"),
    "not_found": ("Not found", "未找到"),
    "forbidden": ("Not allowed", "不允许"),
    "back": ("Back to the portfolio", "返回组合概览"),
    "notes": ("Notes", "说明"),
    # portfolio page
    "open_receivables": ("Open receivables", "未结应收账款"),
    "overdue_share": ("Overdue share", "逾期占比"),
    "dso_countback": ("DSO (count-back)", "应收账款周转天数（倒推法）"),
    "expected_loss": ("Expected loss", "预期损失"),
    "provision_matrix": ("Provision (matrix)", "准备金（矩阵法）"),
    "provision_model": ("Provision (model)", "准备金（模型）"),
    "by_grade": ("Exposure and customers by risk grade", "按风险等级的敞口与客户数"),
    "aging": ("Aging of open receivables", "未结应收账款账龄"),
    "aging_trend": ("Aging over the last 12 month-ends", "近 12 个月末账龄趋势"),
    "dso_trend": ("DSO over the last 12 month-ends", "近 12 个月末周转天数趋势"),
    "losses": ("Expected loss and IFRS 9 provision matrix", "预期损失与 IFRS 9 准备金矩阵"),
    "top_exposures": ("Top exposures and concentration", "最大敞口与集中度"),
    "herfindahl": ("Herfindahl index of exposure", "敞口赫芬达尔指数"),
    "top_share": ("share of the top 10", "前 10 名占比"),
    "days": ("days", "天"),
    "target": ("target", "目标"),
    # lists
    "rule": ("Rule", "规则"),
    "grade": ("Grade", "等级"),
    "collections": ("Collections", "催收"),
    "disputes": ("Disputes", "争议"),
    # customer page
    "customer": ("Customer", "客户"),
    "pd": ("PD (12 months)", "违约概率（12 个月）"),
    "late_prob": ("Late-payment probability (90 days)", "逾期付款概率（90 天）"),
    "risk_grade_long": ("Risk grade", "风险等级"),
    "late_grade_long": ("Late-payment grade", "逾期等级"),
    "in_default": ("In default", "已违约"),
    "score_history": ("Score history", "评分历史"),
    "reasons": ("Why: the reasons, by their contribution to the score", "原因：按对评分的贡献排序"),
    "reasons_base": ("portfolio average", "组合平均"),
    "reasons_score": ("this customer", "该客户"),
    "open_items": ("Aging of open items", "未结款项账龄"),
    "overdue_invoices": ("Overdue invoices", "逾期发票"),
    "payment_history": ("Payment history: days late per invoice paid", "付款历史：每张已付发票的逾期天数"),
    "advice": ("Limit and terms advice", "额度与账期建议"),
    "current_limit": ("Current limit", "当前额度"),
    "recommended_limit": ("Recommended limit", "建议额度"),
    "limit_reasons": ("Why the limit", "额度依据"),
    "terms_advice": ("Terms", "账期"),
    "insured_cover": ("Insured cover", "信用保险保障"),
    "insured_limit": ("Insured limit", "保险额度"),
    "what_if": ("What would improve it", "改善方案"),
    "what_if_run": ("Simulate", "模拟"),
    "what_if_none": (
        "No realistic change in the simulated payments moves this customer up a grade or restores its limit.",
        "模拟付款的任何现实变化都不能提升该客户等级或恢复其额度。",
    ),
    "what_if_best": ("Smallest change that helps", "最小有效改变"),
    "what_if_note": (
        "Each change is added to the customer's ledger as simulated payments and scored again with the same "
        "features and models. Paying an old invoice today records it as paid late: the lateness the model "
        "reads can rise with it, so paying one bucket alone may not help.",
        "每项改变都以模拟付款的方式加入该客户的账簿，并用相同的特征和模型重新评分。今天支付一张旧发票会被记录为逾期付款："
        "模型读取的逾期指标可能随之上升，因此仅支付某一账龄段未必有帮助。",
    ),
    "decision": ("Decision on the advice", "对建议的决定"),
    "accept": ("Accept the advice", "接受建议"),
    "override": ("Override", "推翻建议"),
    "override_limit": ("Limit decided", "决定的额度"),
    "reason": ("Reason", "理由"),
    "record": ("Record", "记录"),
    "decisions": ("Decisions", "决定记录"),
    "read_only": (
        "Your role may read the advice; a credit officer records decisions.",
        "您的角色仅可查看；由信用专员记录决定。",
    ),
    "recorded": ("Decision recorded.", "决定已记录。"),
    "search_results": ("Customers found", "搜索结果"),
    "model_version": ("Model", "模型"),
}

COLUMNS: dict[str, tuple[str, str]] = {
    "customer_id": ("Customer", "客户编号"),
    "name": ("Name", "名称"),
    "key": ("Key", "键"),
    "customers": ("Customers", "客户数"),
    "risk_grade": ("Grade", "风险等级"),
    "late_payment_grade": ("Late grade", "逾期等级"),
    "pd_12m": ("PD", "违约概率"),
    "late_payment_prob_90d": ("Late prob.", "逾期概率"),
    "exposure": ("Exposure", "敞口"),
    "open_balance": ("Open balance", "未结余额"),
    "open_receivables": ("Open receivables", "未结应收"),
    "overdue_amount": ("Overdue", "逾期金额"),
    "overdue_share": ("Overdue share", "逾期占比"),
    "credit_limit": ("Limit", "额度"),
    "utilisation": ("Utilisation", "额度使用率"),
    "avg_days_late_365d": ("Avg days late", "平均逾期天数"),
    "open_disputes": ("Open disputes", "未决争议"),
    "rule_count": ("Rules met", "触发规则数"),
    "rules": ("Rules", "规则"),
    "rule_details": ("What the rules saw", "规则详情"),
    "reasons": ("Top reasons", "主要原因"),
    "rank": ("Rank", "排序"),
    "invoice_id": ("Invoice", "发票"),
    "invoice_date": ("Invoice date", "开票日期"),
    "due_date": ("Due", "到期日"),
    "days_overdue": ("Days overdue", "逾期天数"),
    "open_amount": ("Open amount", "未结金额"),
    "cash_at_risk": ("Cash at risk", "风险现金"),
    "expected_loss": ("Expected loss", "预期损失"),
    "suggested_action": ("Suggested action", "建议操作"),
    "aging_bucket": ("Bucket", "账龄段"),
    "loss_rate": ("Loss rate", "损失率"),
    "model_rate": ("Model rate", "模型损失率"),
    "provision_matrix": ("Provision (matrix)", "准备金（矩阵）"),
    "provision_model": ("Provision (model)", "准备金（模型）"),
    "difference": ("Difference", "差额"),
    "share": ("Share", "占比"),
    "cumulative_share": ("Cumulative", "累计占比"),
    "settled_date": ("Paid", "付款日期"),
    "days_late": ("Days late", "逾期天数"),
    "amount": ("Amount", "金额"),
    "opened_date": ("Opened", "提出日期"),
    "resolved_date": ("Resolved", "解决日期"),
    "outcome": ("Outcome", "结果"),
    "is_open": ("Open", "未决"),
    "as_of_date": ("As of", "截至日期"),
    "decided_at": ("When", "时间"),
    "user": ("Who", "操作人"),
    "decision": ("Decision", "决定"),
    "reason": ("Reason", "理由"),
    "advised_limit": ("Advised", "建议额度"),
    "decided_limit": ("Decided", "决定额度"),
    "model": ("Model", "模型"),
    "dso_countback": ("DSO count-back", "倒推法天数"),
    "dso_3m": ("DSO 3 months", "3 个月周转天数"),
    "month_end": ("Month-end", "月末"),
    "scenario": ("Change", "改变"),
    "cash": ("Cash paid", "付款金额"),
    "recommended_credit_limit": ("Limit advised", "建议额度"),
    "limit_reasons": ("Why the limit", "额度依据"),
}

# The portfolio report's named values a list shows: dunning steps, terms advice, watchlist rules.
VALUES: dict[str, str] = {
    "reminder": "提醒",
    "call": "电话催收",
    "final notice": "最后通知",
    "credit hold": "暂停赊销",
    "hand over to collections": "移交催收",
    "resolve the dispute": "解决争议",
    "keep or extend": "保持或延长",
    "keep": "保持",
    "shorten": "缩短",
    "cash in advance": "预付现金",
    "grade_down": "等级下调",
    "utilisation": "额度使用率",
    "days_late_up": "逾期天数上升",
    "disputes_rising": "争议增加",
    "pd_over": "违约概率超限",
    "insurer_limit_event": "保险额度变动",
    "default_or_collections": "违约或催收",
}

_BUCKET = re.compile(r"^(current|over (\d+)|(\d+)-(\d+))$")


def word(key: str, language: str) -> str:
    """Return the page word `key` in `language` ("en" or "zh")."""
    return WORDS[key][LANGUAGES.index(language)]


def column(name: str, language: str) -> str:
    """Return the heading of column `name`: a known column's, an aging bucket's, else the name in words."""
    if name in COLUMNS:
        return COLUMNS[name][LANGUAGES.index(language)]
    return bucket(name.removeprefix("amount_").removeprefix("share_").replace("_", "-", 1), language, name)


def bucket(label: str, language: str, fallback: str | None = None) -> str:
    """Return an aging bucket's name ("current", "1-30", "over 180") in `language`."""
    found = _BUCKET.match(label.replace("over-", "over "))
    if not found:
        return (fallback or label).replace("_", " ")
    if language == "en":
        return found.group(0)
    if found.group(1) == "current":
        return "未到期"
    if found.group(2):
        return f"超过 {found.group(2)} 天"
    return f"{found.group(3)}-{found.group(4)} 天"


def value(text: str, language: str) -> str:
    """Return one of the report's named values (a dunning step, a terms advice, a rule) in `language`."""
    return VALUES.get(text, text) if language == "zh" else text.replace("_", " ") if text in VALUES else text
