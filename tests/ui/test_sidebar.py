"""Lab opens in headless Chromium with the MLOps sidebar showing the server's status."""

import re

from playwright.sync_api import expect

SECTIONS = ["features", "runs", "models", "deployments", "jobs"]


def open_lab(page, lab):
    # `reset`: the workspace the previous test saved would restore the sidebar open, late
    # enough to race this test's own opening of it.
    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    tab = page.locator('.jp-SideBar [data-id="jp-mlops-sidebar"]')
    expect(tab).to_be_visible(timeout=60_000)
    return tab


def test_sidebar_shows_the_status_the_server_reports(page, lab):
    open_lab(page, lab).click()
    sidebar = page.locator("#jp-mlops-sidebar")
    expect(sidebar).to_be_visible()

    status = lab.api("mlops/api/status")
    # The home is known only to the server (its root dir), so seeing it proves the
    # panel shows what the server said.
    assert status["home"] == str(lab.root.resolve() / ".mlops")
    for field in ("version", "home", "tracking_uri", "state_url"):
        expect(sidebar.locator(f'[data-mlops-field="{field}"]')).to_contain_text(status[field])
    executor = sidebar.locator('[data-mlops-field="executor"]')
    expect(executor).to_contain_text(status["executor"]["name"])
    # The server hosts the agent; the panel's poll picks its state up ("active (holder)",
    # which "inactive" must not pass for).
    agent = sidebar.locator('[data-mlops-field="agent"]')
    expect(agent).to_have_text(re.compile(r"^active \("), timeout=30_000)
    assert lab.api("mlops/api/status")["agent"]["state"] == "active"

    for section in SECTIONS:
        empty = sidebar.locator(f'.jp-mlops-empty[data-mlops-section="{section}"]')
        # The first listing of runs imports MLflow and creates its store on the server.
        expect(empty).to_have_count(1, timeout=60_000)
    assert page.errors == []


def test_palette_lists_the_mlops_commands(page, lab):
    open_lab(page, lab)
    # Lab opens its launcher once the layout is restored, and the launcher takes the focus:
    # a palette opened before then closes under the test. Wait for it first.
    expect(page.locator(".jp-Launcher")).to_be_visible(timeout=60_000)
    # Lab binds its shortcuts to the focused shell, so focus it before typing.
    page.locator("#jp-main-dock-panel").click()
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette-input")
    expect(palette).to_be_visible()
    palette.fill("MLOps")
    items = page.locator(".lm-CommandPalette-item")
    expect(items.filter(has_text="Open MLOps Sidebar")).to_have_count(1)
    expect(items.filter(has_text="Refresh MLOps Status")).to_have_count(1)

    # A dispatched click, resolved afresh: Lab re-renders the palette's items whenever a
    # plugin adds a command, so an item found may be replaced before a real click lands.
    expect(page.locator("#jp-mlops-sidebar")).to_be_hidden()
    items.filter(has_text="Open MLOps Sidebar").dispatch_event("click")
    expect(page.locator("#jp-mlops-sidebar")).to_be_visible()
