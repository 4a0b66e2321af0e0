"""The reviewer page in a real headless browser (Debian's chromium via Playwright)."""

from __future__ import annotations

import json
import shutil

import pytest

from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.pipeline.stages import recording_dir, stage_scan, write_recording_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def report(transcripts, out_root, fixtures):
    transcript = transcripts["shop_zh"]
    out_dir = recording_dir(out_root, fixtures / "shop_zh.mp4")
    findings = stage_scan(transcript, out_dir, Scanner(resolve_packs(None)))
    path = write_recording_report(out_dir, transcript)
    return path, findings


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "Debian's chromium is required (./scripts/test installs it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(accept_downloads=True)
        yield context.new_page()
        browser.close()


def test_report_is_self_contained(report):
    path, _ = report
    html = path.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html, "the page must work offline"
    assert '<script id="clipguard-data"' in html


def test_report_lists_findings_and_click_seeks_video(report, page):
    path, findings = report
    page.goto(path.as_uri())
    rows = page.locator(".finding")
    assert rows.count() == len(findings) >= 8
    assert page.locator(".group h3").count() == len({f.category for f in findings})
    assert page.locator("#timeline .mark").count() == len(findings)
    assert page.locator("#transcript mark").count() >= len(findings)
    target = max(findings, key=lambda f: f.start)  # far from 0 so a seek is visible
    row = page.locator(f'.finding[data-start="{target.start}"]').first
    row.click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('player').currentTime - {target.start}) < 0.5"
    )
    assert abs(page.evaluate("document.getElementById('player').currentTime") - target.start) < 0.5


def test_report_filters_and_exports_decisions(report, page, tmp_path):
    path, findings = report
    page.goto(path.as_uri())
    n_block = sum(f.severity == "block" for f in findings)
    page.locator('.sev[value="block"]').uncheck()
    assert page.locator(".finding:visible").count() == len(findings) - n_block
    page.locator('.sev[value="block"]').check()
    page.select_option("#category", "medical_claims")
    assert page.locator(".finding:visible").count() == sum(
        f.category == "medical_claims" for f in findings
    )
    page.select_option("#category", "")
    page.locator(".finding .decide.false_positive").first.click()
    page.locator(".finding .decide.confirmed").nth(1).click()
    assert "2 / " in page.locator("#decided").inner_text()
    with page.expect_download() as dl:
        page.locator("#export").click()
    saved = tmp_path / "decisions.json"
    dl.value.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert sorted(d["decision"] for d in data["decisions"]) == ["confirmed", "false_positive"]
    assert all("rule_id" in d and "start" in d for d in data["decisions"])
