"""Runs pages over REST on a real Jupyter server and MLflow sqlite store: every page of
a filtered or sorted listing, and the single-run answer with its description."""

import json

import pytest
from tornado.httpclient import HTTPClientError

NOTE = "mlflow.note.content"


@pytest.fixture
def tracking(jp_serverapp):
    return jp_serverapp.web_app.settings["jupyter_mlops"].services.tracking


@pytest.fixture
def fetch_json(jp_fetch):
    async def fetch(*parts, params=None):
        response = await jp_fetch("mlops", "api", *parts, params=params)
        return json.loads(response.body)

    return fetch


async def expect_error(fetch_json, experiment_id, **params):
    with pytest.raises(HTTPClientError) as caught:
        await fetch_json("experiments", experiment_id, "runs", params=params)
    assert caught.value.code == 400
    return json.loads(caught.value.response.body)


async def walk(fetch_json, experiment_id, **params):
    """Every page of a listing, following next_page_token to the end."""
    ids, token, pages = [], None, 0
    while True:
        query = {"max_results": 50, **params}
        if token is not None:
            query["page_token"] = token
        page = await fetch_json("experiments", experiment_id, "runs", params=query)
        ids += [run["run_id"] for run in page["runs"]]
        token, pages = page["next_page_token"], pages + 1
        assert token is None or isinstance(token, str)
        if token is None:
            return ids, pages


async def test_filtered_and_sorted_listings_walk_every_page_once(tracking, fetch_json):
    client = tracking.client
    experiment_id = tracking.experiment_id("pages")
    names, group_a = {}, set()
    for i in range(160):
        # Names sort in an order unlike creation's, so a sorted page differs from the
        # default (newest first); one MLflow call per run keeps this quick.
        name = f"r{(i * 37) % 160:03d}"
        group = "a" if i % 4 else "b"
        run = client.create_run(experiment_id, run_name=name, tags={"group": group})
        names[run.info.run_id] = name
        if group == "a":
            group_a.add(run.info.run_id)
    by_name = sorted(names, key=names.get, reverse=True)

    sorted_a = {"filter": "tags.group = 'a'", "order_by": "attributes.run_name DESC"}
    ids, pages = await walk(fetch_json, experiment_id, **sorted_a)
    assert pages == 3 and ids == [r for r in by_name if r in group_a]

    ids, pages = await walk(fetch_json, experiment_id, order_by="attributes.run_name DESC")
    assert pages == 4 and ids == by_name

    ids, pages = await walk(fetch_json, experiment_id, filter="tags.group = 'a'")
    assert pages == 3 and len(ids) == len(set(ids)) and set(ids) == group_a

    ids, pages = await walk(fetch_json, experiment_id)  # the fast path, for comparison
    assert pages == 4 and len(ids) == len(set(ids)) and set(ids) == set(names)

    refused = await expect_error(
        fetch_json, experiment_id, filter="tags.group = 'a'", page_token="not-a-token"
    )
    assert refused["field"] == "page_token"


async def test_a_run_keeps_its_description_and_listings_leave_it_out(tracking, fetch_json):
    client = tracking.client
    experiment_id = tracking.experiment_id("described")
    described = client.create_run(experiment_id, run_name="described").info.run_id
    plain = client.create_run(experiment_id, run_name="plain").info.run_id
    note = "Baseline with **balanced** classes.\n" + "Long notes stay out of lists. " * 200
    client.set_tag(described, NOTE, note)

    detail = (await fetch_json("runs", described))["run"]
    assert detail["description"] == note and detail["tags"][NOTE] == note
    assert (await fetch_json("runs", plain))["run"]["description"] is None

    for params in ({}, {"filter": "attributes.run_name = 'described'"}):
        page = await fetch_json("experiments", experiment_id, "runs", params=params)
        listed = {run["run_id"]: run for run in page["runs"]}
        assert described in listed and NOTE not in listed[described]["tags"]
