"""The reason labels of the catalogue's features, in English and Chinese (Simplified).

A label names what a feature measures, as a credit officer reads it: the model's reason templates
are made from it (`model.reason_texts.templates`).
"""

from __future__ import annotations

REASON_LABELS: dict[str, tuple[str, str]] = {
    # exposure: open items at the as-of date
    "open_amount": ("Open balance (EUR)", "未结余额（欧元）"),
    "overdue_amount": ("Overdue amount (EUR)", "逾期金额（欧元）"),
    "aging_current_amount": ("Open amount not yet due (EUR)", "未到期金额（欧元）"),
    "aging_1_30_amount": ("Amount 1-30 days overdue (EUR)", "逾期1-30天金额（欧元）"),
    "aging_31_60_amount": ("Amount 31-60 days overdue (EUR)", "逾期31-60天金额（欧元）"),
    "aging_61_90_amount": ("Amount 61-90 days overdue (EUR)", "逾期61-90天金额（欧元）"),
    "aging_91_180_amount": ("Amount 91-180 days overdue (EUR)", "逾期91-180天金额（欧元）"),
    "aging_over_180_amount": ("Amount over 180 days overdue (EUR)", "逾期超过180天金额（欧元）"),
    "max_days_past_due_open": ("Most days overdue on an open invoice", "未结发票最长逾期天数"),
    "amount_weighted_days_past_due_open": (
        "Days overdue on open invoices, weighted by amount",
        "未结发票按金额加权逾期天数",
    ),
    "open_invoice_count": ("Open invoices", "未结发票数"),
    "overdue_invoice_count": ("Overdue open invoices", "逾期未结发票数"),
    "part_paid_open_invoice_count": ("Part-paid open invoices", "部分付款的未结发票数"),
    "open_credit_note_amount": ("Unapplied credit notes (EUR)", "未核销贷项通知单金额（欧元）"),
    "disputed_open_amount": ("Open amount under dispute (EUR)", "争议中的未结金额（欧元）"),
    "oldest_open_invoice_age_days": ("Age of the oldest open invoice (days)", "最早未结发票的账龄（天）"),
    # volume: invoicing
    "invoice_count_90d": ("Invoices in the last 90 days", "过去90天发票数"),
    "invoice_amount_90d": ("Amount invoiced in the last 90 days (EUR)", "过去90天开票金额（欧元）"),
    "invoice_count_365d": ("Invoices over the last year", "过去一年发票数"),
    "invoice_amount_365d": ("Amount invoiced over the last year (EUR)", "过去一年开票金额（欧元）"),
    "invoice_amount_prior_275d": (
        "Amount invoiced in the 275 days before the last 90 (EUR)",
        "最近90天之前275天的开票金额（欧元）",
    ),
    "avg_invoice_amount_365d": ("Average invoice over the last year (EUR)", "过去一年平均单张发票金额（欧元）"),
    "max_invoice_amount_365d": ("Largest invoice over the last year (EUR)", "过去一年最大单张发票金额（欧元）"),
    "credit_note_amount_365d": ("Credit notes issued over the last year (EUR)", "过去一年开具的贷项通知单金额（欧元）"),
    "credit_note_share_365d": (
        "Credit notes as a share of invoicing over the last year",
        "过去一年贷项通知单占开票金额比例",
    ),
    "avg_terms_days_365d": ("Average payment terms over the last year (days)", "过去一年平均付款账期（天）"),
    "active_months_365d": ("Months with invoices over the last year", "过去一年有开票的月数"),
    # timeliness: how late invoices were settled
    "avg_days_late_365d": ("Average days late over the last year", "过去一年平均逾期天数"),
    "share_paid_over_30d_late_365d": (
        "Invoices paid more than 30 days late over the last year",
        "过去一年逾期超过30天付款的发票占比",
    ),
    "share_paid_late_365d": ("Invoices paid late over the last year", "过去一年逾期付款的发票占比"),
    "share_paid_early_365d": ("Invoices paid before the due date over the last year", "过去一年提前付款的发票占比"),
    "p90_days_late_365d": ("90th-percentile days late over the last year", "过去一年逾期天数（第90百分位）"),
    "max_days_late_365d": ("Most days late on an invoice paid over the last year", "过去一年单张发票最长逾期天数"),
    "amount_weighted_days_late_365d": (
        "Days late over the last year, weighted by amount",
        "过去一年按金额加权逾期天数",
    ),
    "stddev_days_late_365d": ("Irregularity of payment timing over the last year (days)", "过去一年付款时间波动（天）"),
    "avg_days_to_pay_365d": (
        "Average days from invoice to payment over the last year",
        "过去一年从开票到付款的平均天数",
    ),
    "settled_invoice_count_365d": ("Invoices paid over the last year", "过去一年已结清发票数"),
    "share_settled_in_instalments_365d": (
        "Invoices paid in instalments over the last year",
        "过去一年分期结清的发票占比",
    ),
    "avg_days_late_90d": ("Average days late over the last 90 days", "过去90天平均逾期天数"),
    "avg_days_late_prior_275d": (
        "Average days late in the 275 days before the last 90",
        "最近90天之前275天的平均逾期天数",
    ),
    "share_paid_over_30d_late_90d": (
        "Invoices paid more than 30 days late over the last 90 days",
        "过去90天逾期超过30天付款的发票占比",
    ),
    # behaviour: payments, disputes, collections, history
    "payment_count_90d": ("Payments received in the last 90 days", "过去90天收款笔数"),
    "payment_amount_90d": ("Cash received in the last 90 days (EUR)", "过去90天收款金额（欧元）"),
    "payment_count_365d": ("Payments received over the last year", "过去一年收款笔数"),
    "dispute_count_365d": ("Disputes opened over the last year", "过去一年新增争议数"),
    "dispute_count_90d": ("Disputes opened in the last 90 days", "过去90天新增争议数"),
    "disputed_amount_365d": ("Amount disputed over the last year (EUR)", "过去一年争议金额（欧元）"),
    "collections_handover_count_365d": ("Hand-overs to collections over the last year", "过去一年移交催收次数"),
    "limit_change_count_365d": ("Credit-limit changes over the last year", "过去一年信用额度调整次数"),
    "days_since_last_payment": ("Days since the last payment", "距上次收款天数"),
    "days_since_last_invoice": ("Days since the last invoice", "距上次开票天数"),
    "max_days_late_ever": ("Most days late on any invoice, whole relationship", "合作以来单张发票最长逾期天数"),
    "share_paid_over_30d_late_ever": (
        "Invoices paid more than 30 days late, whole relationship",
        "合作以来逾期超过30天付款的发票占比",
    ),
    # derived: ratios and trends
    "credit_limit_utilisation": ("Credit limit used (open balance / limit)", "信用额度使用率（未结余额/额度）"),
    "credit_limit_headroom": ("Credit limit headroom (EUR, negative when over)", "剩余信用额度（欧元，负数表示超额）"),
    "over_credit_limit": ("Over the credit limit", "超出信用额度"),
    "dso_90d": ("Days sales outstanding (last 90 days)", "应收账款周转天数（过去90天）"),
    "overdue_share": ("Share of the open balance overdue", "未结余额中的逾期占比"),
    "share_open_over_60dpd": ("Share of the open balance over 60 days overdue", "未结余额中逾期超过60天的占比"),
    "days_late_trend_90d": (
        "Change in average days late, last 90 days vs the 275 before",
        "平均逾期天数变化（过去90天对比此前275天）",
    ),
    "invoice_amount_trend_90d": (
        "Daily invoicing, last 90 days vs the 275 before (1.00 = steady)",
        "日均开票额之比（过去90天对比此前275天，1.00为持平）",
    ),
    "open_to_annual_sales": ("Open balance relative to last year's invoicing", "未结余额与过去一年开票额之比"),
    "payment_to_invoice_ratio_90d": ("Cash received per euro invoiced, last 90 days", "过去90天收款额与开票额之比"),
    # static: the customer record
    "credit_limit": ("Credit limit (EUR)", "信用额度（欧元）"),
    "payment_terms_days": ("Standard payment terms (days)", "标准付款账期（天）"),
    "customer_tenure_days": ("Length of the relationship (days)", "合作时长（天）"),
    "industry": ("Industry", "行业"),
    "country": ("Country", "国家/地区"),
}
