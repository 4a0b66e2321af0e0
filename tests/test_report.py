"""The reviewer page in a real headless browser (Debian's chromium via Playwright)."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.stages import stage_report, stage_scan

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
def report(transcripts, own_root, fixtures):
    transcript = transcripts["shop_zh"]
    layout = RecordingLayout.of(own_root, fixtures / "shop_zh.mp4")
    findings = stage_scan(transcript, layout, Scanner(resolve_packs(None)))
    path = stage_report(layout, transcript, "absolute")
    return path, findings


@pytest.fixture(scope="module")
def pw():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "Debian's chromium is required (./scripts/test installs it)"
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def page(pw):
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


def test_report_clip_section_highlights_caption_words_to_check(
    transcripts, fixtures, page, tmp_path
):
    """Real cards of shop_zh's first sentences, plus a hostile caption: the page shows
    the unsure words highlighted in their caption, and markup as text."""
    from clipguard.clipper.captext import cards
    from clipguard.clipper.render import uncertain_words
    from clipguard.models import Clip, ClipPlan
    from clipguard.report import write_report

    transcript = transcripts["shop_zh"]
    segs = [s for s in transcript.segments if s.words][:4]
    media = fixtures / "shop_zh.mp4"
    plan = ClipPlan(1, media, segs[0].start, segs[-1].end, 0.9, 1080, 1920, tuple(segs))
    lines = cards(plan.captions, aspect="9:16", offset=plan.start, duration=plan.duration)
    real = uncertain_words(plan, lines)
    assert real, "the base model is unsure of some words of shop_zh's first sentences"
    hostile = '<img src=x onerror="window.__pwned=1">'
    caption = "看" + hostile + "吧"
    evil = {"start": plan.start + 1, "end": plan.start + 2, "caption": caption}
    evil |= {"words": [hostile], "spans": [[1, 1 + len(hostile)]], "probability": [0.2]}
    clip = Clip("clips/clip_01.mp4", plan.start, plan.end, 0.9, 1080, 1920)
    clip = Clip.from_dict({**clip.to_dict(), "uncertain": [*real, evil]})
    path = write_report(
        tmp_path / "report.html",
        transcript=transcript.to_dict(),
        findings={"rules": [], "findings": []},
        clips={"clips": [clip.to_dict()]},
    )
    page.goto(path.as_uri())
    assert page.locator("#checks").is_visible()
    marks = page.locator("#checks mark.unsure")
    assert marks.all_inner_texts() == [w for u in real for w in u["words"]] + [hostile]
    assert page.locator("#checks .check").count() == len(real) + 1
    first = real[0]["caption"].replace("\n", " ")
    assert first in page.locator("#checks .check").first.inner_text()
    background = "getComputedStyle(document.querySelector('#checks mark.unsure')).backgroundColor"
    assert page.evaluate(background) not in ("rgba(0, 0, 0, 0)", "transparent")
    assert caption in page.locator("#checks .check").last.inner_text()
    assert page.locator("#checks img").count() == 0
    assert page.evaluate("window.__pwned") is None


FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.fixture(scope="module")
def bare_page(pw, tmp_path_factory):
    """Chromium that sees no system font at all (a private fontconfig listing an empty
    folder), like a server or a fresh VM without CJK fonts."""
    root = tmp_path_factory.mktemp("fontconfig")
    (root / "fonts").mkdir()
    # one Latin face only (chromium will not start with no font at all); DejaVu or
    # Liberation come with Debian's chromium, and neither has a single CJK glyph
    latin = sorted(Path("/usr/share/fonts").rglob("*.ttf"))
    latin = [f for f in latin if "dejavu" in str(f).lower() or "liberation" in str(f).lower()]
    assert latin, "a Latin system font (fonts-dejavu or fonts-liberation) is expected"
    (root / "fonts" / latin[0].name).symlink_to(latin[0])
    conf = root / "fonts.conf"
    conf.write_text(FONTCONFIG.format(fonts=root / "fonts", cache=root / "cache"))
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(root)}
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, env=env)
    yield browser.new_context().new_page()
    browser.close()


def _ink(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16)


def test_chinese_renders_in_the_embedded_face_without_system_fonts(report, bare_page):
    path, findings = report
    html = path.read_text(encoding="utf-8")
    assert "@font-face" in html and "data:font/woff2;base64," in html
    font_bytes = len(html.split("data:font/woff2;base64,")[1].split(")")[0]) * 3 // 4
    assert font_bytes < 300_000, f"embedded font is {font_bytes} bytes"
    page = bare_page
    page.goto(path.as_uri())
    page.evaluate("document.fonts.ready")
    said = findings[0].text
    assert page.evaluate(f"document.fonts.check('16px clipguard-cjk', {json.dumps(said)})")
    # the browser's own account of which font drew a Chinese finding: the embedded one
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": ".finding .said"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert fonts and all(f["isCustomFont"] for f in fonts), fonts
    assert any("CJK SC" in f["familyName"] for f in fonts), fonts
    # pixels: the page's Chinese against characters that no font here has (tofu)
    page.evaluate(
        """([said]) => {
          for (const [id, text] of [["real", said], ["missing", "\\u{2A6D6}".repeat([...said].length)]]) {
            const s = document.createElement("span"); s.id = id; s.textContent = text;
            s.style.cssText = "font:32px clipguard-cjk;position:fixed;left:0;top:" + (id === "real" ? 0 : 60) + "px;background:#fff;color:#000";
            document.body.appendChild(s);
          }
        }""",
        [said],
    )
    real = _ink(page.locator("#real").screenshot())
    missing = _ink(page.locator("#missing").screenshot())
    assert (real < 128).mean() > 0.05, "the Chinese text must draw glyphs"
    h, w = min(real.shape[0], missing.shape[0]), min(real.shape[1], missing.shape[1])
    assert np.abs(real[:h, :w] - missing[:h, :w]).mean() > 10, "real glyphs must differ from tofu"
