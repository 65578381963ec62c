# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built site (build/docs/, from tools/build_docs.py) in a real browser: Debian's chromium, headless, driven by
Selenium through Debian's chromedriver (both from apt; Selenium is given their paths, so it never downloads a browser
or a driver). A static file server on 127.0.0.1 serves build/docs/ and records every request that got a 404.

Checked: the index, every module page and every guide load without console errors (failed loads of a page's own
resources included); a module page shows its parameter table, examples and return values as visible text; every
internal link of every page resolves. Screenshots of the index and one module page go to build/docs-screenshots/."""
from __future__ import annotations

import functools
import glob
import http.server
import os
import shutil
import threading
import typing as t
import urllib.parse

import pytest
import requests

from conftest import ROOT

SITE = os.path.join(ROOT, 'build', 'docs')
SHOTS = os.path.join(ROOT, 'build', 'docs-screenshots')
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'
MODULES = sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py')))
GUIDES = sorted(os.path.basename(path)[:-4] for path in glob.glob(os.path.join(ROOT, 'docs', 'docsite', 'rst', '*.rst')))

pytestmark = pytest.mark.skipif(not os.path.isfile(os.path.join(SITE, 'index.html')), reason='build/docs/ not built (make docs)')


class Server:
    """http.server over build/docs/ on 127.0.0.1, in a thread; not_found lists the paths that got a 404."""

    def __init__(self) -> None:
        self.not_found: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                if code == 404:
                    server.not_found.append(self.path)
                super().send_error(code, message, explain)

            def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002 - the stdlib's signature
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Handler, directory=SITE))
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}/'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope='module')
def server() -> t.Iterator[Server]:
    started = Server()
    yield started
    started.stop()


@pytest.fixture(scope='module')
def browser() -> t.Iterator[t.Any]:
    os.environ['SE_OFFLINE'] = 'true'  # Selenium Manager must never fetch anything (the paths below make it unnecessary)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,1600',
                '--no-first-run', '--disable-background-networking', '--disable-component-update'):
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def load(browser, server: Server, page: str) -> list[str]:
    """Open a page; return its console errors (SEVERE log entries: script errors and failed resource loads)."""
    browser.get_log('browser')  # drop what earlier pages left
    browser.get(server.url + page)
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 20).until(lambda driver: driver.execute_script('return document.readyState') == 'complete')
    return [entry['message'] for entry in browser.get_log('browser') if entry['level'] == 'SEVERE']


def visible_text(browser) -> str:
    from selenium.webdriver.common.by import By
    return browser.find_element(By.TAG_NAME, 'body').text


def test_index(browser, server):
    assert load(browser, server, 'index.html') == []
    text = visible_text(browser)
    for module in MODULES:
        assert f'{module} module' in text, f'index does not list {module}'
    assert 'Getting started' in text and 'Troubleshooting' in text and 'Changelog' in text
    os.makedirs(SHOTS, exist_ok=True)
    assert browser.save_screenshot(os.path.join(SHOTS, 'index.png'))


@pytest.mark.parametrize('module', MODULES)
def test_module_page(browser, server, module):
    assert load(browser, server, f'{module}_module.html') == []
    text = visible_text(browser)
    assert f'mongodb_atlas.backup.{module} module' in text
    assert 'Parameters' in text and 'Comments' in text and 'cluster_name' in text and 'api_private_key' in text
    assert 'Examples' in text and f'mongodb_atlas.backup.{module}:' in text
    assert 'Return Values' in text and 'retries_used' in text
    if module == MODULES[0]:
        assert browser.save_screenshot(os.path.join(SHOTS, f'{module}.png'))


@pytest.mark.parametrize('guide', GUIDES)
def test_guide_page(browser, server, guide):
    assert load(browser, server, f'docsite/{guide}.html') == []
    assert '404' not in browser.title


def test_internal_links_resolve(server):
    """Every href and src of every page that stays on the site answers 200 from the local server."""
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found += [value for name, value in attrs if name in ('href', 'src') and value]

    pages = [os.path.relpath(path, SITE) for path in glob.glob(os.path.join(SITE, '**', '*.html'), recursive=True)]
    checked: dict[str, int] = {}
    for page in pages:
        parser = Links()
        with open(os.path.join(SITE, page), encoding='utf-8') as handle:
            parser.feed(handle.read())
        for link in parser.found:
            url = urllib.parse.urljoin(server.url + page, link)
            url = urllib.parse.urldefrag(url)[0]
            if not url.startswith(server.url) or url in checked:
                continue
            checked[url] = requests.get(url, timeout=10).status_code
    broken = {url: status for url, status in checked.items() if status != 200}
    assert len(checked) > 20 and broken == {}
    assert server.not_found == []
