"""Test suites: loaders per public format, the built-in demo suite, quality checks, sampling."""

from riskscope.suites._base import IterableSuite, Suite, SuiteFactory, SuiteInfo, build_suite, suite, suites
from riskscope.suites._check import CheckReport, Overlap, SuiteReport, check_suites, unknown_hazard_codes
from riskscope.suites._clean import CleanReport, clean_generated, detect_language
from riskscope.suites._compose import (
    STRATIFY_KEYS,
    dedupe,
    filter_cases,
    mix,
    select_cases,
    stratified_sample,
    stratum_of,
)
from riskscope.suites._source import cache_dir, fetch, read_jsonl_objects
from riskscope.suites._text import NearDuplicateIndex, normalise_text

__all__ = [
    "STRATIFY_KEYS",
    "CheckReport",
    "CleanReport",
    "IterableSuite",
    "NearDuplicateIndex",
    "Overlap",
    "Suite",
    "SuiteFactory",
    "SuiteInfo",
    "SuiteReport",
    "build_suite",
    "cache_dir",
    "check_suites",
    "clean_generated",
    "dedupe",
    "detect_language",
    "fetch",
    "filter_cases",
    "mix",
    "normalise_text",
    "read_jsonl_objects",
    "select_cases",
    "stratified_sample",
    "stratum_of",
    "suite",
    "suites",
    "unknown_hazard_codes",
]
