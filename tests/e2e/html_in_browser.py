#!/usr/bin/env python3
"""The --html page as a browser shows it: headless Chromium loads the page the CLI wrote, runs
its script, and the DOM it ends with is checked here (threads as lanes, the bug's sites, the
arrows the script draws between them, the wait-for graph). A screenshot is written next to the
page for a person to look at.

Usage: html_in_browser.py EXAMPLES_BINARY CHROMIUM WORK_DIR
"""
import html.parser
import os
import shutil
import subprocess
import sys


class Dom(html.parser.HTMLParser):
    """The elements of a page as (tag, attributes, text inside), in document order."""

    def __init__(self):
        super().__init__()
        self.elements = []
        self.open = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("meta", "br", "img", "input", "link"):
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs), "text": ""})

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i]["tag"] == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data

    def having(self, tag=None, cls=None):
        return [e for e in self.elements
                if (tag is None or e["tag"] == tag)
                and (cls is None or cls in e["attrs"].get("class", "").split())]


failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def render(chromium, page, work):
    profile = os.path.join(work, "profile")
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--user-data-dir=" + profile, "--window-size=1400,1600", "--hide-scrollbars",
              # The page's script draws the arrows on load: give it time before the DOM is read.
              "--virtual-time-budget=2000"]
    url = "file://" + os.path.abspath(page)
    dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True,
                         timeout=120)
    if dom.returncode != 0 or not dom.stdout.strip():
        sys.exit("html_in_browser: chromium could not render %s: %s" % (page, dom.stderr[-2000:]))
    subprocess.run(common + ["--screenshot=" + page + ".png", url], capture_output=True,
                   timeout=120)
    parser = Dom()
    parser.feed(dom.stdout)
    return parser


def main():
    examples, chromium, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    page = os.path.join(work, "report.html")
    run = subprocess.run([examples, "explore", "seed: [Al]*", "--html", page,
                          "--schedule-dir", os.path.join(work, "schedules")],
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 1:
        sys.exit("html_in_browser: explore exited %d (expected 1, bugs found): %s"
                 % (run.returncode, run.stderr))
    dom = render(chromium, page, work)

    scenarios = [e["text"] for e in dom.having("h2")]
    check("seed: ABBA deadlock" in scenarios, "the ABBA scenario has a heading: %s" % scenarios)
    check("seed: lost update (counter += 1 without a lock)" in scenarios,
          "the lost-update scenario has a heading: %s" % scenarios)

    traces = dom.having("div", "trace")
    check(len(traces) >= 3, "a lane view per bug with steps (%d)" % len(traces))
    lanes = [e["text"] for e in dom.having("span", "lane")]
    for thread in ("main", "T1", "T2"):
        check(thread in lanes, "a lane named %s: %s" % (thread, sorted(set(lanes))))

    sites = " ".join(e["text"] for e in dom.having("span", "site"))
    for site in ("abba_deadlock.cpp:18", "abba_deadlock.cpp:20", "abba_deadlock.cpp:25",
                 "abba_deadlock.cpp:27", "lost_update.cpp:18"):
        check(site in sites, "the bug's sites name %s" % site)
    locations = " ".join(e["text"] for e in dom.having("span", "loc"))
    check("abba_deadlock.cpp:20 (operator())" in locations, "rows name the user's lines")
    sources = " ".join(e["text"] for e in dom.having("code", "src"))
    check("std::lock_guard" in sources, "rows quote the user's source lines")

    # Drawn by the page's script, so present only if it ran and found both rows of each pair.
    arrows = dom.having("path", "arrow")
    pairs = dom.having("li")
    pairs = [p for p in pairs if "data-pair" in p["attrs"]]
    check(len(arrows) >= 3, "the script drew the arrows between sites (%d drawn)" % len(arrows))
    check(len(arrows) <= len(pairs), "no more arrows (%d) than pairs of sites (%d)"
          % (len(arrows), len(pairs)))
    for a in arrows:
        d = a["attrs"].get("d", "")
        check(d.startswith("M") and "NaN" not in d, "an arrow with a path: %r" % d)

    graph = dom.having("figure", "waitfor")
    check(len(graph) >= 1, "a deadlock has a wait-for graph")
    names = [e["text"] for e in dom.having("text", "wf-name")]
    check("T1" in names and "T2" in names, "the graph's nodes are the threads: %s" % names)
    check(any("lock_a" in e["text"] for e in dom.having("text", "wf-label")),
          "the graph's edges name the locks")

    folds = dom.having("details", "fold")
    check(all("steps by" in f["text"] for f in folds), "folded runs say what they hold")

    if failures:
        for f in failures:
            print("FAILED: " + f)
        print("(the page: %s, its screenshot: %s.png)" % (page, page))
        sys.exit(1)
    print("ok: %d bug views, %d arrows drawn, lanes %s; screenshot %s.png"
          % (len(traces), len(arrows), sorted(set(lanes)), page))


if __name__ == "__main__":
    main()
