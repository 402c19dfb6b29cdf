"""The web console in a real browser (headless Debian chromium driven by Selenium).

Run by tests/ui/run.sh, which starts two registries (LOCKSTEP_URL with the console, and
LOCKSTEP_DEST_URL as an exporter's destination) and sets CHROMIUM / CHROMEDRIVER / SCREENSHOTS.
"""

import concurrent.futures
import http.client
import json
import os
import statistics
import time
import urllib.parse

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

URL = os.environ["LOCKSTEP_URL"]
DEST = os.environ["LOCKSTEP_DEST_URL"]
SHOTS = os.environ.get("SCREENSHOTS", "target/ui-screenshots")
CT = "application/vnd.schemaregistry.v1+json"
N_SUBJECTS = int(os.environ.get("LOCKSTEP_UI_SUBJECTS", "10000"))


def request(method, path, body=None, conn=None):
    u = urllib.parse.urlparse(URL)
    c = conn or http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Accept": CT}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = CT
    c.request(method, path, body=data, headers=headers)
    r = c.getresponse()
    text = r.read().decode()
    if conn is None:
        c.close()
    return r.status, (json.loads(text) if text else None)


def avro(name, fields):
    return {"schema": json.dumps({"type": "record", "name": name, "fields": fields})}


def seed():
    """10,000 subjects (one version each, 8 writers), plus a subject with history and an exporter."""
    u = urllib.parse.urlparse(URL)

    def worker(start):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        for i in range(start, N_SUBJECTS, 8):
            fields = [{"name": "id", "type": "long"}, {"name": f"f{i % 50}", "type": "string", "default": ""}]
            status, body = request("POST", f"/subjects/team{i % 20:02d}.events-{i:05d}-value/versions",
                                   avro(f"E{i % 50}", fields), conn)
            assert status == 200, body
        conn.close()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(worker, range(8)))
    base = [{"name": "id", "type": "long"}]
    for fields in (base, base + [{"name": "email", "type": "string", "default": ""}],
                   base + [{"name": "email", "type": "string", "default": ""},
                           {"name": "tier", "type": {"type": "enum", "name": "Tier", "symbols": ["FREE", "PRO"]},
                            "default": "FREE"}]):
        status, body = request("POST", "/subjects/customers-value/versions", avro("Customer", fields))
        assert status == 200, body
    status, body = request("POST", "/exporters", {
        "name": "to-dr", "subjects": ["customers-value"], "contextType": "NONE",
        "config": {"schema.registry.url": DEST}})
    assert status == 200, body


@pytest.fixture(scope="module")
def browser():
    seed()
    os.makedirs(SHOTS, exist_ok=True)
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ["CHROMIUM"]
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,800", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(executable_path=os.environ["CHROMEDRIVER"]), options=opts)
    d.set_window_size(1280, 800)
    yield d
    d.quit()


def wait(d, cond, timeout=10):
    # Pages replace elements as they update: a stale one is looked up again.
    return WebDriverWait(d, timeout, ignored_exceptions=[StaleElementReferenceException, WebDriverException]).until(cond)


def shot(d, name):
    d.save_screenshot(os.path.join(SHOTS, name + ".png"))


def test_subject_list_with_10000_subjects_first_paint(browser):
    d = browser
    paints, responses = [], []
    for _ in range(5):
        d.get(URL + "/ui")
        wait(d, EC.presence_of_element_located((By.ID, "count")))
        wait(d, lambda d: d.execute_script("return performance.getEntriesByName('first-contentful-paint').length > 0"))
        timing = d.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "const p = performance.getEntriesByName('first-contentful-paint')[0];"
            "return {fcp: p ? p.startTime : null, response: n.responseEnd - n.requestStart};")
        paints.append(timing["fcp"])
        responses.append(timing["response"])
    count = d.find_element(By.ID, "count")
    assert count.get_attribute("data-total") == str(N_SUBJECTS + 1)
    assert len(d.find_elements(By.CSS_SELECTOR, "table.subjects tbody tr")) == 50
    print(f"\nBENCH console first paint, {N_SUBJECTS + 1} subjects: first-contentful-paint median "
          f"{statistics.median(paints):.0f} ms (runs {', '.join(f'{p:.0f}' for p in paints)}); "
          f"HTML response median {statistics.median(responses):.1f} ms")
    shot(d, "01-subjects")
    assert statistics.median(paints) < 1000  # the target is 300 ms; this only catches a collapse


def test_search_as_you_type_and_open_a_subject(browser):
    d = browser
    d.get(URL + "/ui")
    box = d.find_element(By.ID, "q")
    box.send_keys("events-00424")
    wait(d, lambda d: d.find_element(By.ID, "count").get_attribute("data-total") == "1")
    assert "q=events-00424" in d.current_url
    Select(d.find_element(By.ID, "match")).select_by_value("prefix")
    box.clear()
    box.send_keys("team07")
    wait(d, lambda d: d.find_element(By.ID, "count").get_attribute("data-total") == str(N_SUBJECTS // 20))
    shot(d, "02-search")
    box.clear()
    box.send_keys("customers")
    wait(d, lambda d: d.find_element(By.ID, "count").get_attribute("data-total") == "1")
    d.find_element(By.LINK_TEXT, "customers-value").click()
    wait(d, EC.presence_of_element_located((By.ID, "schema-text")))
    assert d.find_element(By.TAG_NAME, "h1").text == "customers-value"
    assert "Version 3" in d.find_element(By.ID, "schema-h").text
    assert d.find_elements(By.CSS_SELECTOR, "#schema-text .t-key")  # highlighted
    assert len(d.find_element(By.ID, "schema-guid").text) == 36
    shot(d, "03-subject")
    # Keyboard: the search box is reachable and focusable by tab order from the skip link.
    d.get(URL + "/ui")
    assert d.switch_to.active_element.get_attribute("id") == "q"


def test_diff_two_versions_with_verdict(browser):
    d = browser
    d.get(URL + "/ui/subjects/customers-value")
    Select(d.find_element(By.ID, "diff-a")).select_by_value("1")
    Select(d.find_element(By.ID, "diff-b")).select_by_value("3")
    d.find_element(By.CSS_SELECTOR, "form.diff-form button").click()
    verdict = wait(d, EC.presence_of_element_located((By.ID, "verdict")))
    assert verdict.get_attribute("data-compatible") == "true", verdict.text
    assert d.find_elements(By.CSS_SELECTOR, "table.diff tr.added, table.diff tr.changed")
    shot(d, "04-diff")
    Select(d.find_element(By.ID, "level")).select_by_value("FORWARD")
    d.find_element(By.CSS_SELECTOR, "form.inline button").click()
    # The old page's verdict may still be there while the new one loads: read it again until
    # the new level shows.
    wait(d, lambda d: "FORWARD" in d.find_element(By.ID, "verdict").text)


def test_compatibility_playground_both_verdicts_and_register(browser):
    d = browser
    d.get(URL + "/ui/playground?subject=customers-value")
    schema = d.find_element(By.ID, "pg-schema")
    assert "Customer" in schema.get_attribute("value")  # starts from the latest version
    bad = json.dumps({"type": "record", "name": "Customer", "fields": [
        {"name": "id", "type": "long"}, {"name": "email", "type": "string", "default": ""},
        {"name": "tier", "type": {"type": "enum", "name": "Tier", "symbols": ["FREE", "PRO"]}, "default": "FREE"},
        {"name": "region", "type": "string"}]}, indent=2)
    good = bad.replace('"type": "string"\n    }\n  ]', '"type": "string",\n      "default": "eu"\n    }\n  ]')
    assert good != bad
    schema.clear()
    schema.send_keys(bad)
    d.find_element(By.ID, "pg-check").click()
    v = wait(d, EC.presence_of_element_located((By.ID, "pg-verdict")))
    assert v.get_attribute("data-result") == "bad" and "Incompatible" in v.text, v.text
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in v.text
    d.execute_script("arguments[0].scrollIntoView({block: 'end'})", v)
    shot(d, "05-playground-incompatible")
    Select(d.find_element(By.ID, "pg-level")).select_by_value("FORWARD")
    d.find_element(By.ID, "pg-check").click()
    wait(d, lambda d: "Compatible (FORWARD)" in d.find_element(By.ID, "pg-verdict").text)
    Select(d.find_element(By.ID, "pg-level")).select_by_value("")
    schema.clear()
    schema.send_keys(good)
    d.find_element(By.ID, "pg-check").click()
    wait(d, lambda d: d.find_element(By.ID, "pg-verdict").get_attribute("data-result") == "good")
    shot(d, "06-playground-compatible")
    d.find_element(By.ID, "pg-register").click()
    wait(d, lambda d: d.find_element(By.ID, "pg-verdict").get_attribute("data-result") == "registered")
    assert "version 4" in d.find_element(By.ID, "pg-verdict").text
    status, versions = request("GET", "/subjects/customers-value/versions")
    assert versions == [1, 2, 3, 4]


def test_edit_a_config(browser):
    d = browser
    d.get(URL + "/ui/settings?scope=customers-value")
    assert d.find_element(By.ID, "level-here").text == "—"
    Select(d.find_element(By.ID, "config-value")).select_by_value("FULL_TRANSITIVE")
    d.find_element(By.CSS_SELECTOR, "#config-form button[type=submit]").click()
    wait(d, lambda d: d.find_element(By.ID, "level-here").text == "FULL_TRANSITIVE")
    assert d.find_element(By.ID, "level-in-force").text == "FULL_TRANSITIVE"
    status, body = request("GET", "/config/customers-value")
    assert body["compatibilityLevel"] == "FULL_TRANSITIVE"
    shot(d, "07-config")
    Select(d.find_element(By.ID, "mode-value")).select_by_value("READONLY")
    d.find_element(By.CSS_SELECTOR, "#mode-form button[type=submit]").click()
    wait(d, lambda d: d.find_element(By.ID, "mode-here").text == "READONLY")
    d.find_element(By.CSS_SELECTOR, '#mode-form [data-action="delete"]').click()
    wait(d, lambda d: d.find_element(By.ID, "mode-here").text == "—")


def test_pause_and_resume_an_exporter(browser):
    d = browser
    d.get(URL + "/ui/links")
    row = '#links tr[data-exporter="to-dr"]'
    wait(d, EC.presence_of_element_located((By.CSS_SELECTOR, row)))
    wait(d, lambda d: d.find_element(By.CSS_SELECTOR, row).get_attribute("data-state") == "RUNNING", 20)
    shot(d, "08-links")
    d.find_element(By.CSS_SELECTOR, row + ' button[data-action="pause"]').click()
    wait(d, lambda d: d.find_element(By.CSS_SELECTOR, row).get_attribute("data-state") == "PAUSED")
    assert request("GET", "/exporters/to-dr/status")[1]["state"] == "PAUSED"
    d.find_element(By.CSS_SELECTOR, row + ' button[data-action="resume"]').click()
    wait(d, lambda d: d.find_element(By.CSS_SELECTOR, row).get_attribute("data-state") != "PAUSED")
    assert request("GET", "/exporters/to-dr/status")[1]["state"] != "PAUSED"


def test_phone_width_and_dark_mode(browser):
    d = browser
    d.set_window_size(390, 844)
    try:
        d.get(URL + "/ui")
        wait(d, EC.presence_of_element_located((By.ID, "count")))
        width = d.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"the page scrolls sideways at phone width ({width}px)"
        shot(d, "09-phone-subjects")
        d.get(URL + "/ui/subjects/customers-value")
        shot(d, "10-phone-subject")
    finally:
        d.set_window_size(1280, 800)
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        d.get(URL + "/ui/subjects/customers-value/diff?a=1&b=3")
        bg = d.execute_script("return getComputedStyle(document.documentElement).backgroundColor")
        assert bg == "rgb(18, 22, 29)", bg
        shot(d, "11-dark-diff")
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
