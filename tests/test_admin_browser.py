"""The admin page in a real headless Chromium, against the real gunicorn (two workers,
production settings): an admin logs in, tests a question, adds a document, reloads and sees
what users could not get answered, as they would in their own browser.

Needs Debian's ``chromium`` and ``chromium-driver`` (CI installs them); nothing is downloaded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from bot.config import PROJECT_ROOT
from bot.wechat.client import WeChatClient
from knowledge.loader import list_sources
from tests.gunicorn_support import Server, running_server
from tests.wechat_support import TOKEN as WECHAT_TOKEN

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
ADMIN_TOKEN = "browser-admin-token"
AGENDA = "---\ntitle: 会议议程\n---\n# 议程\n\n论坛茶歇安排在上午十点半，地点是二层咖啡厅。\n"
WAIT = 60  # seconds a page may take to appear; generous for a slow CI machine

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Chromium and its driver (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def knowledge_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser-knowledge")
    for source in (PROJECT_ROOT / "knowledge" / "sources").glob("*.txt"):
        shutil.copy(source, folder)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory, knowledge_dir) -> Iterator[Server]:
    settings = dict(
        WEB_CONCURRENCY="2",
        BOT_ENV="production",
        WECHAT_TOKEN=WECHAT_TOKEN,
        BOT_ADMIN_TOKEN=ADMIN_TOKEN,
        BOT_KNOWLEDGE_DIR=str(knowledge_dir),
    )
    with running_server(tmp_path_factory.mktemp("browser-data"), **settings) as server:
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    # No speculative connections: gunicorn's sync workers each wait on one open socket,
    # and an idle preconnect held two of them until the worker timeout.
    options.add_experimental_option("prefs", {"net.network_prediction_options": 2})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def wait(browser: webdriver.Chrome):
    return WebDriverWait(browser, WAIT)


def submit(browser: webdriver.Chrome, button: WebElement) -> None:
    """Press a form's button and wait until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    # While the old page is being replaced Chromium may answer with other errors than
    # "stale element": keep asking until the old page is gone for good.
    WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,)).until(
        expected_conditions.staleness_of(page)
    )
    wait(browser).until(lambda b: b.execute_script("return document.readyState") == "complete")


def text_of(browser: webdriver.Chrome, element_id: str) -> str:
    return (
        wait(browser)
        .until(expected_conditions.visibility_of_element_located((By.ID, element_id)))
        .text
    )


def hit_test(browser: webdriver.Chrome, server: Server, question: str) -> str:
    browser.get(server.base + "/admin/hit-test")
    box = browser.find_element(By.ID, "q")
    box.send_keys(question)
    submit(browser, browser.find_element(By.ID, "ask"))
    return text_of(browser, "reply")


def shows_question(browser: webdriver.Chrome, question: str) -> bool:
    """Reload the unanswered page until the worker's batched query log has written it."""
    browser.refresh()
    cells = browser.find_elements(By.CSS_SELECTOR, "#unanswered td.question")
    return any(cell.text == question for cell in cells)


def test_an_admin_logs_in_tests_adds_a_document_and_reloads(browser, server, knowledge_dir):
    browser.get(server.base + "/admin")
    assert browser.current_url.startswith(server.base + "/admin/login")

    browser.find_element(By.ID, "token").send_keys("not-the-token")
    submit(browser, browser.find_element(By.ID, "login"))
    assert "令牌错误" in text_of(browser, "login-error")

    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    submit(browser, browser.find_element(By.ID, "login"))
    assert browser.current_url == server.base + "/admin"
    before = text_of(browser, "version")
    documents = browser.find_elements(By.CSS_SELECTOR, "#documents tr")[1:]
    assert [row.find_element(By.TAG_NAME, "td").text for row in documents] == [
        path.name
        for path in list_sources(knowledge_dir)  # synonyms.txt is no document
    ]

    reply = hit_test(browser, server, "论坛在哪里举行？")
    assert "出处" in reply and "北京大学" in reply
    assert "十点半" not in hit_test(browser, server, "茶歇安排在几点？")

    (knowledge_dir / "agenda.md").write_text(AGENDA, "utf-8")
    browser.get(server.base + "/admin")
    submit(browser, browser.find_element(By.ID, "reload"))
    assert "Reloaded" in text_of(browser, "reload-result")
    after = text_of(browser, "version")
    assert after != before
    documents = browser.find_elements(By.CSS_SELECTOR, "#documents tr")[1:]
    assert len(documents) == 2
    assert "agenda.md" in documents[0].text and "会议议程" in documents[0].text

    # Each request may land on either worker: both must answer from the new knowledge.
    for _ in range(4):
        reply = hit_test(browser, server, "茶歇安排在几点？")
        assert "十点半" in reply and "出处" in reply and "会议议程" in reply

    question = "火星上的天气怎么样？"
    wechat = WeChatClient(server.webhook, WECHAT_TOKEN)
    assert "出处" not in wechat.send_text("oBrowserTestUser0000000000001", question).reply.content
    browser.get(server.base + "/admin/unanswered")
    assert text_of(browser, "unanswered")
    wait(browser).until(lambda b: shows_question(b, question))

    submit(browser, browser.find_element(By.ID, "logout"))
    browser.get(server.base + "/admin")
    assert browser.current_url.startswith(server.base + "/admin/login")
    with pytest.raises(NoSuchElementException):
        browser.find_element(By.ID, "version")


def test_a_broken_document_is_refused_in_the_browser(browser, server, knowledge_dir):
    browser.get(server.base + "/admin/login")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    submit(browser, browser.find_element(By.ID, "login"))
    serving = text_of(browser, "version")
    broken = knowledge_dir / "scan.txt"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    try:
        submit(browser, browser.find_element(By.ID, "reload"))
        assert text_of(browser, "refused-file").endswith("scan.txt")
        assert text_of(browser, "refused-reason")
        assert text_of(browser, "version") == serving
        assert "出处" in hit_test(browser, server, "论坛在哪里举行？")
    finally:
        broken.unlink()


def test_an_admin_adds_a_synonym_from_the_unanswered_page_and_it_serves_after_reload(
    browser, server, knowledge_dir, tmp_path
):
    """The loop an admin closes: a question users could not get answered, how the bot read
    it, a synonym added, a reload, the answer. Screenshots of the hit test's reading are
    taken and checked to be real renderings of the page."""
    question = "老杨的演讲题目是什么"
    wechat = WeChatClient(server.webhook, WECHAT_TOKEN)
    assert "出处" not in wechat.send_text("oSynonymLoopUser000000000001", question).reply.content

    browser.get(server.base + "/admin/unanswered")
    if browser.current_url.startswith(server.base + "/admin/login"):
        browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
        submit(browser, browser.find_element(By.ID, "login"))
        browser.get(server.base + "/admin/unanswered")
    wait(browser).until(lambda b: shows_question(b, question))
    row = next(
        r
        for r in browser.find_elements(By.CSS_SELECTOR, "#unanswered tr")[1:]
        if r.find_element(By.CSS_SELECTOR, "td.question").text == question
    )
    submit(browser, row.find_element(By.PARTIAL_LINK_TEXT, "加同义词"))
    assert text_of(browser, "decision").startswith("refused:")
    assert "演讲" in text_of(browser, "weights")  # 讲 read as the report's 演讲
    shot = tmp_path / "hit-test-reading.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    browser.find_element(By.ID, "words").send_keys("老杨")
    browser.find_element(By.ID, "means").send_keys("杨学山")
    submit(browser, browser.find_element(By.ID, "add"))
    assert text_of(browser, "added-line") == "老杨 => 杨学山"
    assert (knowledge_dir / "synonyms.txt").read_text("utf-8").endswith("老杨 => 杨学山\n")

    submit(browser, browser.find_element(By.ID, "reload-and-test"))
    assert "Reloaded" in text_of(browser, "reloaded")
    assert "创新驱动的新型智慧城市建设" in text_of(browser, "reply")
    assert text_of(browser, "decision").startswith("answered:")
    # every worker serves it: each message may land on either
    for n in range(4):
        reply = wechat.send_text(f"oSynonymLoopUser00000000000{n}", question).reply.content
        assert "创新驱动的新型智慧城市建设" in reply
