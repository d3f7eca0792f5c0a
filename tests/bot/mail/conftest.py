"""The test CA and server certificate, made once per run."""

from __future__ import annotations

import pytest

from tests.fakes.smtp_server import TestCertificates, make_certificates


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))
