from __future__ import annotations

from conftest import Serve
from spikard import Spikard


def test_profile_endpoint_counts_phases_and_resets(serve: Serve) -> None:
    app = Spikard(profile=True)

    @app.post("/echo")
    def echo(body: dict) -> dict:
        return body

    client = serve(app)
    for i in range(5):
        assert client.post("/echo", json={"i": i}).json() == {"i": i}
    snapshot = client.get("/__spikard/profile?reset=1").json()
    phases = snapshot["phases"]
    for name in ["extract", "queue_wait", "convert", "handler", "serialize"]:
        assert phases[name]["count"] == 5, name
        assert phases[name]["mean_us"] > 0
    assert abs(sum(p["share"] for p in phases.values()) - 1) < 1e-9
    assert snapshot["batches"]["count"] >= 1
    assert client.get("/__spikard/profile").json()["phases"]["handler"]["count"] == 0


def test_profile_mode_is_off_by_default(serve: Serve, monkeypatch) -> None:
    monkeypatch.delenv("SPIKARD_PROFILE", raising=False)
    client = serve(Spikard())
    assert client.get("/__spikard/profile").status_code == 404
