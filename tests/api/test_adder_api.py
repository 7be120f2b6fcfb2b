"""The Binary adder tab through its `/add` API (gradio_client against a served app)."""

import random

import pytest


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)


def test_api_add_returns_the_sum(client):
    assert client.predict("1111", "1", api_name="/add") == ("10000\n= 16 in decimal",) * 2


def test_api_adds_1000_bit_numbers_exactly(client):
    rng = random.Random(3)
    x, y = rng.getrandbits(1000) | 1 << 999, rng.getrandbits(1000)
    model_sum, true_sum = client.predict(format(x, "b"), format(y, "b"), api_name="/add")
    assert model_sum == true_sum == f"{x + y:b}\n= {x + y} in decimal"


def test_api_reports_bad_input_clearly(client):
    with pytest.raises(Exception, match="'x' at position 3"):
        client.predict("10x1", "1", api_name="/add")
    with pytest.raises(Exception, match="limit"):
        client.predict("1" * 5000, "1", api_name="/add")
