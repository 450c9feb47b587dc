"""A hyperparameter search in Lab: its row in the Jobs section with the best value so
far, and its page with Optuna's figures, the trials and Compare best 5."""

from jobs_helpers import notebook
from playwright.sync_api import expect

QUADRATIC = "import mlflow\nmlflow.log_metric('loss', (x - 2.0) ** 2)"


def test_a_search_shows_its_row_and_page(page, open_sidebar, mlflow_lab):
    notebook(mlflow_lab.root / "ui_quad.ipynb", "x = 0.0", QUADRATIC)
    search = mlflow_lab.post(
        "mlops/api/jobs",
        {
            "notebook": "ui_quad.ipynb",
            "search": {
                "metric": "loss",
                "space": {"x": {"low": -4, "high": 4}},
                "sampler": "random",
                "trials": 6,
                "parallel": 2,
                "seed": 5,
            },
        },
    )["search"]

    jobs = open_sidebar(mlflow_lab).locator("#jp-mlops-section-jobs")
    row = jobs.locator(f'.jp-mlops-search-row[data-search-id="{search["id"]}"]')
    expect(row).to_be_visible(timeout=30_000)
    expect(row.locator(".jp-mlops-search-notebook")).to_have_text("ui_quad.ipynb")
    row.click()

    view = page.locator(f'.jp-mlops-search-view[data-search-id="{search["id"]}"]')
    expect(view).to_be_visible()
    expect(view.locator(".jp-mlops-search-status")).to_have_text("finished", timeout=180_000)
    expect(view.locator(".jp-mlops-search-trials tbody tr")).to_have_count(6)
    expect(view.locator('.jp-mlops-search-trials tr[data-state="complete"]')).to_have_count(6)
    expect(view.locator('[data-figure="history"]')).to_be_visible(timeout=30_000)
    expect(view.locator('[data-figure="parallel"]')).to_be_visible()
    found = mlflow_lab.api(f"mlops/api/searches/{search['id']}")
    best = min(t["value"] for t in found["trials"])
    expect(view.locator(".jp-mlops-search-best")).to_contain_text(f"trial {found['best']['trial']}")
    assert found["best"]["value"] == best
    expect(row.locator(".jp-mlops-search-status")).to_have_text("finished", timeout=15_000)

    view.locator(".jp-mlops-search-compare").click()
    compare = page.locator(".jp-mlops-compare")
    expect(compare).to_be_visible(timeout=30_000)
    assert page.errors == []


def test_the_job_form_starts_a_search(page, open_sidebar, mlflow_lab):
    notebook(mlflow_lab.root / "ui_form_search.ipynb", "x = 0.0\nname = 'a'", QUADRATIC)

    open_sidebar(mlflow_lab)
    page.locator('.jp-SideBar [data-id="filebrowser"]').click()
    page.locator(".jp-FileBrowser [data-command='filebrowser:refresh']").click()
    item = page.locator(".jp-DirListing-item", has_text="ui_form_search.ipynb")
    expect(item).to_be_visible()
    item.click(button="right")
    page.locator(".lm-Menu-item", has_text="Create Training Job").click()
    form = page.locator("#jp-mlops-job-form")
    expect(form).to_be_visible()

    form.locator(".jp-mlops-job-search-enabled").check()
    form.locator(".jp-mlops-job-search-metric").fill("loss")
    form.locator(".jp-mlops-job-search-trials").fill("3")
    x = form.locator('.jp-mlops-job-search-dimension[data-parameter="x"]')
    x.locator("select").select_option("range")
    x.locator(".jp-mlops-job-search-low").fill("3")
    x.locator(".jp-mlops-job-search-high").fill("1")
    # A string parameter offers choices, never a range.
    name = form.locator('.jp-mlops-job-search-dimension[data-parameter="name"]')
    expect(name.locator('option[value="range"]')).to_have_count(0)
    form.locator(".jp-mlops-job-submit").click()
    error = form.locator('[data-field="search.space.x.low"] .jp-mlops-job-field-error')
    expect(error).to_contain_text("low (3) is above high (1)")
    searches = mlflow_lab.api("mlops/api/searches")["searches"]
    assert all(s["notebook"] != "ui_form_search.ipynb" for s in searches)  # nothing stored

    x.locator(".jp-mlops-job-search-low").fill("-1")
    form.locator(".jp-mlops-job-submit").click()
    expect(form.locator(".jp-mlops-job-form-done")).to_contain_text("Started search")
    found = [
        s
        for s in mlflow_lab.api("mlops/api/searches")["searches"]
        if s["notebook"] == "ui_form_search.ipynb"
    ]
    assert len(found) == 1
    assert found[0]["search"]["space"] == {"x": {"low": -1, "high": 1}}
    assert found[0]["search"]["trials"] == 3
    assert page.errors == []
