"""The dashboard in a real browser: headless Chromium from Debian's packages (chromium and
chromium-driver), driven by Selenium; nothing is downloaded. A client runs a flow against
the mock and the page follows it; a person's clicks and keys drive the mock through the
admin API. Screenshots go to reports/dashboard/ (git-ignored), for a person to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BASE, PRODUCT
from receiver import Receiver

from mock_server import Controls, ManualClock, MockConfig, MockServer

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "reports" / "dashboard"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = (
    "the dashboard's browser test needs Debian's chromium and chromium-driver, not found "
    "here: apt-get install chromium chromium-driver (.ci/run installs them)"
)
WAIT = 15.0  # seconds for the page to show what the mock did (it polls every second)

pytestmark = [pytest.mark.slow]
if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):  # CI installs them: a missing browser there is a failure
        raise RuntimeError(MISSING)
    pytestmark.append(pytest.mark.skip(reason=MISSING))
else:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import WebDriverWait


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace for the sandbox
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-proxy-server",
        "--window-size=1280,1000",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(clock=ManualClock(start=1_748_603_465.0)) as server:
        yield server


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    headers = {"X-API-ID": "shop-42", "X-API-KEY": "secret-key"}
    with httpx.Client(base_url=mock.url, headers=headers, timeout=10, trust_env=False) as c:
        yield c


def shot(driver: WebDriver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    return path


def until(driver: WebDriver, what: str, check: Callable[[WebDriver], Any]) -> Any:
    """Wait for `check` to give something true, failing with `what` and a screenshot."""
    try:
        # The page replaces what changed: an element found a moment ago may be gone.
        stale = (StaleElementReferenceException,)
        return WebDriverWait(driver, WAIT, 0.1, ignored_exceptions=stale).until(check)
    except Exception as exc:
        shot(driver, "failed-waiting")
        raise AssertionError(
            f"the page never showed {what} (see reports/dashboard/failed-waiting.png)"
        ) from exc


def open_dashboard(driver: WebDriver, mock: MockServer, width: int = 1280) -> None:
    driver.set_window_size(width, 1000)
    driver.get(f"{mock.url}/__mock__/ui")
    until(
        driver,
        "its first update",
        lambda d: d.find_element(By.ID, "updated").text.startswith("updated"),
    )


def text(driver: WebDriver, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def card(driver: WebDriver, record_id: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f'article.task[data-id="{record_id}"]')


def status_of(driver: WebDriver, record_id: str) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, f'article.task[data-id="{record_id}"] .status')
    return found[0].text if found else ""


def wait_status(driver: WebDriver, record_id: str, status: str) -> None:
    until(driver, f"{record_id} {status}", lambda d: status_of(d, record_id) == status)


def shows_no_blank(element: WebElement) -> None:
    """No value the page failed to render: a JavaScript null or object shown as text."""
    for blank in ("null", "undefined", "[object"):
        assert blank not in element.text, element.text


def timeline(driver: WebDriver, record_id: str) -> list[str]:
    steps = card(driver, record_id).find_elements(By.CSS_SELECTOR, ".timeline .done .name")
    return [s.text for s in steps]


def advance_from_the_page(driver: WebDriver, seconds: str) -> None:
    field = driver.find_element(By.ID, "advance-seconds")
    field.clear()
    field.send_keys(seconds)
    driver.find_element(By.CSS_SELECTOR, "#advance-form button[type=submit]").click()


def test_the_page_follows_a_flow_flags_a_violation_and_fails_a_task(
    browser: WebDriver, mock: MockServer, client: httpx.Client
) -> None:
    open_dashboard(browser, mock)
    with Receiver() as receiver:
        made = client.post(
            BASE + "gen_image/", json={"product_url": PRODUCT, "webhook_url": receiver.url}
        )
        record_id = made.json()["id"]
        wait_status(browser, record_id, "initializing")
        shot(browser, "1-task-initializing")

        advance_from_the_page(browser, "0.5")  # the page's own control: the admin API
        wait_status(browser, record_id, "image_generating")
        advance_from_the_page(browser, "1.5")
        wait_status(browser, record_id, "image_generated")
        assert timeline(browser, record_id) == [
            "initializing",
            "image_generating",
            "image_generated",
        ]
        photo = client.get(f"{BASE}{record_id}/").json()["generated_photo_url"]
        assert photo in card(browser, record_id).text
        until(
            browser,
            "the webhook delivered",
            lambda d: (
                "delivered" in d.find_element(By.ID, "webhook-list").text
                and "answered 200" in d.find_element(By.ID, "webhook-list").text
            ),
        )

    # A request that breaks the contract: flagged in words, with the field it got wrong.
    bad = client.post(BASE + "gen_image/", json={"aspect_ratio": "1:1"})
    assert bad.status_code == 400
    flagged = until(
        browser,
        "the invalid request flagged",
        lambda d: d.find_elements(By.CSS_SELECTOR, "#journal-list li.entry.invalid"),
    )[0]
    assert "Broke the contract: product_url" in flagged.find_element(By.CLASS_NAME, "verdict").text
    flagged.find_element(By.TAG_NAME, "summary").click()
    fields = [f.text for f in flagged.find_elements(By.CSS_SELECTOR, ".violations .field")]
    assert any("product_url" in f for f in fields), fields
    curl = flagged.find_element(By.CLASS_NAME, "curl").text
    assert curl.startswith(f"curl -X POST '{mock.url}/api/product_to_videos/gen_image/'")
    assert '"X-API-KEY: $CREATIFY_API_KEY"' in curl and "secret-key" not in curl
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": mock.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    flagged.find_element(By.CLASS_NAME, "copy").click()
    until(browser, "Copied", lambda d: flagged.find_element(By.CLASS_NAME, "copy").text == "Copied")
    copied = browser.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], e => arguments[0](String(e)))"
    )
    assert copied == curl
    shot(browser, "2-violation-flagged")

    # A running task failed with a click, with a reason.
    assert client.post(f"{BASE}{record_id}/gen_video/", json={}).status_code == 200
    wait_status(browser, record_id, "video_generating")
    task = card(browser, record_id)
    task.find_element(By.NAME, "reason").send_keys("The avatar service timed out.")
    task.find_element(By.CSS_SELECTOR, "button.fail").click()
    wait_status(browser, record_id, "failed")
    assert "Failed: The avatar service timed out." in card(browser, record_id).text
    shows_no_blank(card(browser, record_id))
    assert timeline(browser, record_id)[-2:] == ["video_generating", "failed"]
    answer = client.get(f"{BASE}{record_id}/").json()
    assert (answer["status"], answer["failed_reason"]) == (
        "failed",
        "The avatar service timed out.",
    )
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "3-task-failed")  # docs/dashboard.png, the README's, is a copy of it


def test_at_phone_width_nothing_runs_off_the_side(
    browser: WebDriver, mock: MockServer, client: httpx.Client
) -> None:
    record_id = client.post(BASE + "gen_image/", json={"product_url": PRODUCT}).json()["id"]
    client.post(BASE + "gen_image/", json={"product_url": "not a url"})
    open_dashboard(browser, mock, width=390)
    wait_status(browser, record_id, "initializing")
    shows_no_blank(card(browser, record_id))
    entry = until(
        browser,
        "the invalid request",
        lambda d: d.find_elements(By.CSS_SELECTOR, "#journal-list li.entry.invalid"),
    )[0]
    entry.find_element(By.TAG_NAME, "summary").click()
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    shot(browser, "4-phone-width")
    assert overflow <= 0


def test_the_controls_answer_the_keyboard(
    browser: WebDriver, mock: MockServer, client: httpx.Client
) -> None:
    record_id = client.post(BASE + "gen_image/", json={"product_url": PRODUCT}).json()["id"]
    open_dashboard(browser, mock)
    wait_status(browser, record_id, "initializing")
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(300):  # Tab from the top of the page to the clock's field
        if browser.switch_to.active_element.get_attribute("id") == "advance-seconds":
            break
        body.send_keys(Keys.TAB) if _ == 0 else browser.switch_to.active_element.send_keys(Keys.TAB)
    else:
        raise AssertionError("Tab never reached the clock's field")
    field = browser.switch_to.active_element
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("5", Keys.ENTER)
    wait_status(browser, record_id, "image_generated")


def test_a_journal_of_thousands_is_shown_a_page_at_a_time(
    browser: WebDriver, mock: MockServer
) -> None:
    local = mock.app.test_client()  # in-process: quicker than 3,000 requests on a socket
    for n in range(3000):
        key = {"X-API-KEY": "k"} if n % 3 else {}  # every third one has no key: a 401
        local.get(BASE, headers={"X-API-ID": f"acct-{n % 7}", **key})
    open_dashboard(browser, mock)
    until(
        browser,
        "3,000 requests",
        lambda d: d.find_element(By.ID, "journal-count").text.startswith("3000 requests kept"),
    )
    rows = browser.find_elements(By.CSS_SELECTOR, "#journal-list > li")
    assert len(rows) == 50 and rows[0].get_attribute("data-seq") == "3000"
    browser.find_element(By.ID, "journal-older").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#journal-list > li")
    assert len(rows) == 50 and rows[0].get_attribute("data-seq") == "2950"
    browser.find_element(By.ID, "only-invalid").click()
    assert browser.find_element(By.ID, "journal-page").text == "1–50 of 1000"
    shown = browser.find_elements(By.CSS_SELECTOR, "#journal-list > li")
    assert len(shown) == 50 and all("invalid" in (r.get_attribute("class") or "") for r in shown)
    assert "X-API-KEY" in shown[0].text


def test_the_docs_render_from_the_mock_alone_and_try_it_calls_the_mock(
    browser: WebDriver, mock: MockServer
) -> None:
    browser.set_window_size(1280, 1000)
    browser.get(f"{mock.url}/docs/")
    listing = until(
        browser,
        "the list operation",
        lambda d: d.find_elements(By.ID, "operations-product_to_videos-product_to_videos_list"),
    )[0]
    servers = browser.find_elements(By.CSS_SELECTOR, ".servers select option")
    assert servers[0].get_attribute("value") == mock.url
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(mock.url + "/") for url in loaded), loaded
    listing.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    until(browser, "Execute", lambda d: d.find_elements(By.CSS_SELECTOR, ".execute"))[0].click()
    until(
        browser,
        "the mock's answer",
        lambda d: "401" in d.find_element(By.CSS_SELECTOR, ".live-responses-table").text,
    )
    shot(browser, "5-docs-try-it")
    (asked,) = Controls.of(mock.app).journal()
    assert (asked.method, asked.path, asked.status) == ("GET", "/api/product_to_videos/", 401)


def test_every_control_on_the_page_changes_the_mock(
    browser: WebDriver, mock: MockServer, client: httpx.Client
) -> None:
    from selenium.webdriver.support.ui import Select

    controls = Controls.of(mock.app)
    record_id = client.post(BASE + "gen_image/", json={"product_url": PRODUCT}).json()["id"]
    open_dashboard(browser, mock)
    wait_status(browser, record_id, "initializing")

    Select(browser.find_element(By.ID, "outcome")).select_by_value("image-failed")
    browser.find_element(By.CSS_SELECTOR, "#outcome-form button[type=submit]").click()
    until(
        browser,
        "the queued outcome",
        lambda d: "image-failed" in d.find_element(By.ID, "outcomes-queued").text,
    )
    assert controls.queued_outcomes()["image"] == ["image-failed"]
    browser.find_element(By.ID, "outcome-clear").click()
    until(
        browser, "an empty queue", lambda d: d.find_element(By.ID, "outcomes-queued").text == "none"
    )

    Select(browser.find_element(By.ID, "fault-status")).select_by_value("503")
    Select(browser.find_element(By.ID, "fault-operation")).select_by_value("product_to_videos_list")
    browser.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()
    until(
        browser,
        "the pending fault",
        lambda d: "503 for product_to_videos_list" in d.find_element(By.ID, "faults-pending").text,
    )
    assert client.get(BASE).status_code == 503

    Select(browser.find_element(By.ID, "variant-timestamps")).select_by_visible_text("utc")
    until(browser, "the variant set", lambda d: controls.variants()["timestamps"] == "utc")
    until(browser, "a UTC clock", lambda d: d.find_element(By.ID, "clock-now").text.endswith("Z"))

    card(browser, record_id).find_element(By.CSS_SELECTOR, "button.complete").click()
    wait_status(browser, record_id, "image_generated")

    browser.find_element(By.ID, "reset").click()
    browser.switch_to.alert.dismiss()  # asked first: nothing happens on No
    assert controls.records("shop-42") != []
    browser.find_element(By.ID, "reset").click()
    browser.switch_to.alert.accept()
    until(browser, "no task", lambda d: d.find_element(By.ID, "tasks-count").text == "0 tasks")
    assert controls.records("shop-42") == [] and controls.variants()["timestamps"] == "offset"
    assert "Done: the mock was reset." in browser.find_element(By.ID, "message").text
    browser.execute_script("document.getElementById('controls').scrollIntoView()")
    shot(browser, "6-controls")


def test_with_an_admin_token_the_page_asks_for_it_or_takes_it_from_the_url(
    browser: WebDriver,
) -> None:
    config = MockConfig(admin_token="s3cret-token")
    with MockServer(config=config, clock=ManualClock(start=1_748_603_465.0)) as mock:
        browser.get(f"{mock.url}/__mock__/ui")  # a new port: nothing kept from before
        form = until(
            browser,
            "the token form",
            lambda d: (
                d.find_element(By.ID, "token-form").is_displayed()
                and d.find_element(By.ID, "token-form")
            ),
        )
        assert "401" in text(browser, "updated")
        browser.find_element(By.ID, "token").send_keys("s3cret-token", Keys.ENTER)
        until(browser, "an update", lambda d: text(d, "updated").startswith("updated"))
        assert not form.is_displayed()

        browser.execute_script("sessionStorage.clear()")  # forget the token typed above
        browser.get("about:blank")  # so that the next page starts afresh
        browser.get(f"{mock.url}/__mock__/ui#token=s3cret-token")
        until(browser, "an update", lambda d: text(d, "updated").startswith("updated"))
        assert "token" not in browser.current_url  # taken out of the address bar


def test_only_a_web_address_becomes_a_link(browser: WebDriver, mock: MockServer) -> None:
    """The API refuses any product_url but http(s); a state file could still hold one."""
    from mock_server.api.state import state_of
    from mock_server.lifecycle.records import Record

    state_of(mock.app).store.insert(
        Record(
            id="odd-record",
            account="shop-42",
            type="product_anyshot",
            product_url="javascript:alert(document.domain)",
            aspect_ratio="16x9",
            created_at=1_748_603_465.0,
            updated_at=1_748_603_465.0,
            webhook_url="https://hooks.example/creatify",
        )
    )
    open_dashboard(browser, mock)
    urls = until(browser, "the record", lambda d: card(d, "odd-record")).find_element(
        By.CLASS_NAME, "urls"
    )
    hrefs = [a.get_attribute("href") for a in urls.find_elements(By.TAG_NAME, "a")]
    assert hrefs == ["https://hooks.example/creatify"]
    assert "javascript:alert(document.domain)" in urls.text  # shown, as text
