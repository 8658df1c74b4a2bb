"""Reports rendered from the store: terminal, JSON, HTML, RiskCard, JSONL and Parquet exports, JUnit XML."""

from riskscope.reports.agreement import PairAgreement, cohen_kappa, judge_agreement
from riskscope.reports.exports import write_jsonl, write_parquet
from riskscope.reports.files import write_reports
from riskscope.reports.html import render_html, write_html
from riskscope.reports.json_report import item_record, results_document, write_results_json
from riskscope.reports.junit import JUnitCase, render_junit, write_junit
from riskscope.reports.riskcard import render_riskcard, write_riskcard
from riskscope.reports.summary import GroupFigures, RunSummary, summarise, summarise_rows

__all__ = [
    "GroupFigures",
    "JUnitCase",
    "PairAgreement",
    "RunSummary",
    "cohen_kappa",
    "item_record",
    "judge_agreement",
    "render_html",
    "render_junit",
    "render_riskcard",
    "results_document",
    "summarise",
    "summarise_rows",
    "write_html",
    "write_jsonl",
    "write_junit",
    "write_parquet",
    "write_reports",
    "write_results_json",
    "write_riskcard",
]
