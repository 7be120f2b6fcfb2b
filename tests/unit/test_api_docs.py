"""The API page: every public endpoint says what it does, in its own words."""

import app


def test_every_public_endpoint_has_its_own_description():
    endpoints = app.demo.get_api_info()["named_endpoints"]
    assert {"/predict", "/compare", "/inspect", "/add", "/train_start"} <= set(endpoints)
    for name, endpoint in endpoints.items():
        description = (endpoint.get("description") or "").strip()
        assert description, f"{name} has no description"
        assert not description.startswith("partial("), f"{name} shows functools.partial's docstring"
    assert "a picture file" in endpoints["/predict"]["description"]
