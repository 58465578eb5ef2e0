"""``report.html`` opened in a real headless browser: the figures decode and the tables render.

Chromium and its driver come from the system packages (``.ci/run`` installs Debian's
``chromium`` and ``chromium-driver``); without them the test is skipped.
"""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import Block, plot_by_round, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="chromium and chromedriver not installed"
)


def _report(tmp_path: Path) -> Path:
    rounds = pd.DataFrame(
        {
            "mechanism": ["vcg"] * 4 + ["posted_price"] * 4,
            "round": [0, 1, 0, 1] * 2,
            "seed_index": [0, 0, 1, 1] * 2,
            "reward_accuracy": [0.60, 0.66, 0.62, 0.70, 0.55, 0.58, 0.57, 0.61],
        }
    )
    figure = plot_by_round(
        rounds, "reward_accuracy", "accuracy", "by round", tmp_path / "figures" / "a.png"
    )
    table = pd.DataFrame(
        {"reward acc.": ["0.680 ± 0.051", "0.595 ± 0.038"]},
        index=pd.Index(["vcg", "posted_price"], name="mechanism"),
    )
    blocks = [
        Block("heading", "Summary"),
        Block("table", table=table),
        Block("text", "At budget 32 vcg reaches 0.680 ± 0.051 <not markup>."),
        Block("figure", "Reward accuracy by round", path=figure),
    ]
    write_report("demo report", blocks, tmp_path)
    moved = tmp_path / "sent" / "report.html"  # sent alone: nothing beside it
    moved.parent.mkdir()
    shutil.move(tmp_path / "report.html", moved)
    shutil.rmtree(tmp_path / "figures")
    return moved


def test_the_html_report_renders_its_figures_and_table_in_chromium(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    page = _report(tmp_path)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.get(page.as_uri())
        images = driver.find_elements(By.TAG_NAME, "img")
        assert len(images) == 1
        assert images[0].get_attribute("src").startswith("data:image/png;base64,")
        decoded = driver.execute_script(
            "return [arguments[0].complete, arguments[0].naturalWidth, arguments[0].naturalHeight]",
            images[0],
        )
        assert decoded[0] and decoded[1] > 100 and decoded[2] > 100
        cells = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "table td")]
        assert cells == ["0.680 ± 0.051", "0.595 ± 0.038"]
        headers = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "table th")]
        assert "reward acc." in headers and "vcg" in headers
        assert "<not markup>" in driver.find_element(By.TAG_NAME, "body").text
    finally:
        driver.quit()
