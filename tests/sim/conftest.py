"""Markers for the simulator tests: ``slow`` (real model training, runs in CI) and ``gguf``
(loads the optional SmolLM2 GGUF backbone; deselect with ``-m 'not gguf'``)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: trains a real model for tens of seconds; runs in CI")
    config.addinivalue_line("markers", "gguf: loads the optional SmolLM2 GGUF backbone (~20 s)")
