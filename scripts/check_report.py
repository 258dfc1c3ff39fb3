#!/usr/bin/env python3
"""Render clm's HTML report in headless Chromium through the DevTools protocol and check what a
reader relies on: the page loads with no console error and no network request (everything is
inline), every section is there, every chart is an inline SVG that is drawn (visible size,
shapes and text inside), and a full-page screenshot is saved for people to look at.

Usage: python scripts/check_report.py --chromium /usr/bin/chromium --html report.html \
           --screenshot report.png [--docs-screenshot docs/report.png] \
           [--min-charts lifecycle=2 ...] [--lang zh]
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

SECTIONS = ["overview", "rfm", "clv", "churn", "cohorts", "lifecycle"]
TIMEOUT_S = 60


class Page:
    """One DevTools connection to a page: commands by id, events kept as they arrive."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=TIMEOUT_S, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    sys.exit(f"{method} failed: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method):
        deadline = time.time() + TIMEOUT_S
        while time.time() < deadline:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(json.loads(self.ws.recv()))
        sys.exit(f"timed out waiting for {method}")


def start_chromium(chromium, profile):
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-default-apps", "--disable-extensions",
        "--disable-sync", "--no-first-run", "--no-default-browser-check", "--mute-audio",
        "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-port=0",
        "about:blank",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + TIMEOUT_S
    while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
        if time.time() > deadline or process.poll() is not None:
            process.kill()
            sys.exit("chromium did not start its DevTools endpoint")
        time.sleep(0.1)
    port = open(port_file).read().split()[0]
    return process, port


def page_socket(port):
    # The DevTools endpoint chromium opened on the loopback address, and nothing else.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT_S) as r:
        targets = json.load(r)
    return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")


CHARTS_JS = """
(() => {
  const figures = [...document.querySelectorAll('figure.chart')];
  return JSON.stringify({
    sections: [...document.querySelectorAll('section[id]')].map(s => s.id),
    scripts: document.querySelectorAll('script').length,
    external: [...document.querySelectorAll('[src],[href]')]
      .map(e => e.getAttribute('src') || e.getAttribute('href'))
      .filter(u => !u.startsWith('#')),
    charts: figures.map(f => {
      const svg = f.querySelector('svg');
      const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
      return {
        section: (f.closest('section[id]') || {}).id || '',
        title: (f.querySelector('figcaption b') || {}).textContent || '',
        reading: (f.querySelector('figcaption') || {}).textContent || '',
        width: box.width, height: box.height,
        shapes: svg ? svg.querySelectorAll('rect,polyline,path,line,circle').length : 0,
        texts: svg ? svg.querySelectorAll('text').length : 0,
      };
    }),
    height: document.documentElement.scrollHeight,
    lang: document.documentElement.lang,
  });
})()
"""


def check(page, html, min_charts=(), lang=None):
    page.call("Page.enable")
    page.call("Runtime.enable")
    page.call("Log.enable")
    page.call("Network.enable")
    url = "file://" + os.path.abspath(html)
    page.call("Page.navigate", url=url)
    page.wait_for("Page.loadEventFired")
    facts = json.loads(page.call("Runtime.evaluate", expression=CHARTS_JS, returnByValue=True)["result"]["value"])
    problems = []
    for event in page.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append(f"console error: {params.get('args')}")
        if method == "Runtime.exceptionThrown":
            problems.append(f"exception: {params.get('exceptionDetails')}")
        if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            problems.append(f"log error: {params['entry'].get('text')}")
        if method == "Network.requestWillBeSent":
            requested = params["request"]["url"]
            if requested != url and not requested.startswith("data:"):
                problems.append(f"network request: {requested}")
    missing = [s for s in SECTIONS if s not in facts["sections"]]
    if missing:
        problems.append(f"sections missing: {missing}")
    if facts["scripts"] or facts["external"]:
        problems.append(f"scripts {facts['scripts']}, external references {facts['external']}")
    if not facts["charts"]:
        problems.append("no chart")
    for chart in facts["charts"]:
        empty = chart["width"] < 200 or chart["height"] < 100 or chart["shapes"] < 3 or chart["texts"] < 3
        if empty or not chart["title"] or len(chart["reading"]) <= len(chart["title"]) + 10:
            problems.append(f"chart empty or unexplained: {chart}")
    for wanted in min_charts:
        section, _, count = wanted.partition("=")
        drawn = sum(1 for chart in facts["charts"] if chart["section"] == section)
        if drawn < int(count):
            problems.append(f"section {section}: {drawn} charts, expected at least {count}")
    if lang and facts["lang"] != lang:
        problems.append(f"<html lang> is {facts['lang']!r}, expected {lang!r}")
    return facts, problems


def screenshot(page, height, path, clip_height=None, scale=1.0):
    page.call("Emulation.setDeviceMetricsOverride", width=1100, height=min(height, 16000), deviceScaleFactor=1, mobile=False)
    clip = {"x": 0, "y": 0, "width": 1100, "height": clip_height or min(height, 16000), "scale": scale}
    shot = page.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--html", required=True)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--docs-screenshot", help="also save the top of the page, scaled, for the README")
    parser.add_argument("--min-charts", action="append", default=[], metavar="SECTION=N",
                        help="the section must have at least N charts drawn (repeatable)")
    parser.add_argument("--lang", help="the page's <html lang> must be this")
    args = parser.parse_args()
    profile = tempfile.mkdtemp(prefix="clm-chromium-")
    process, port = start_chromium(args.chromium, profile)
    try:
        page = Page(page_socket(port))
        facts, problems = check(page, args.html, args.min_charts, args.lang)
        screenshot(page, facts["height"], args.screenshot)
        if args.docs_screenshot:
            screenshot(page, facts["height"], args.docs_screenshot, clip_height=1800, scale=0.7)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)
    for problem in problems:
        print(f"FAIL: {args.html}: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"ok: {args.html}: {len(facts['charts'])} charts drawn in sections {', '.join(facts['sections'])}; "
          f"no console error, no network request; screenshot {args.screenshot}")


if __name__ == "__main__":
    main()
