import asyncio

import pytest

from jupyter_mlops.agent import Agent
from jupyter_mlops.store import StateStore
from jupyter_mlops.store import lease as leases


class Clock:
    def __init__(self, now: float = 1_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class RecordingWorker:
    name = "recorder"

    def __init__(self, fail: bool = False):
        self.calls: list[str] = []
        self.fail = fail

    def reconcile(self):
        self.calls.append("reconcile")
        if self.fail:
            raise RuntimeError("reconcile failed")

    def tick(self):
        self.calls.append("tick")
        if self.fail:
            raise RuntimeError("tick failed")

    def close(self):
        self.calls.append("close")


@pytest.fixture
def store(tmp_path):
    store = StateStore(f"sqlite:///{tmp_path}/state.db")
    store.migrate()
    yield store
    store.dispose()


def current(store):
    with store.begin() as conn:
        return leases.read(conn)


def test_only_one_agent_holds_the_lease(store):
    clock = Clock()
    first, second = Agent(store, clock=clock), Agent(store, clock=clock)
    assert first.step() is True
    assert second.step() is False
    assert first.step() is True  # renewing its own lease
    assert current(store).holder == first.holder


def test_an_expired_lease_is_taken_over(store):
    clock = Clock()
    first, second = Agent(store, lease_seconds=10, clock=clock), Agent(store, clock=clock)
    first.step()
    clock.now += 9.9
    assert second.step() is False
    clock.now += 0.2
    assert second.step() is True
    assert current(store).holder == second.holder
    # The old leader notices on its next step and stands by.
    assert first.step() is False
    assert first.leader is False


def test_release_hands_the_lease_over_at_once(store):
    clock = Clock()
    first, second = Agent(store, clock=clock), Agent(store, clock=clock)
    first.step()
    first.release()
    assert second.step() is True


def test_workers_run_only_on_the_leader_and_reconcile_once_per_takeover(store):
    clock = Clock()
    lead, stand = RecordingWorker(), RecordingWorker()
    leader, standby = Agent(store, [lead], clock=clock), Agent(store, [stand], clock=clock)
    leader.step()
    leader.step()
    standby.step()
    assert lead.calls == ["reconcile", "tick", "tick"]
    assert stand.calls == []
    leader.release()
    assert lead.calls[-1] == "close"  # a leader's duties let go of what they held
    standby.step()
    assert stand.calls == ["reconcile", "tick"]


def test_a_failing_worker_does_not_stop_the_others(store):
    broken, healthy = RecordingWorker(fail=True), RecordingWorker()
    agent = Agent(store, [broken, healthy])
    assert agent.step() is True
    assert healthy.calls == ["reconcile", "tick"]


def test_lease_must_outlast_the_interval(store):
    with pytest.raises(ValueError):
        Agent(store, lease_seconds=1, interval=1)


def test_run_loops_until_stopped_then_releases(store):
    worker = RecordingWorker()
    agent = Agent(store, [worker], interval=0.05, lease_seconds=5)

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop))
        while worker.calls.count("tick") < 3:
            await asyncio.sleep(0.02)
        assert current(store).holder == agent.holder
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert current(store).holder is None
