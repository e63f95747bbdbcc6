"""Property-based tests over the OpenAPI schema (schemathesis 4): no generated input makes a 5xx.

The schema is loaded at import time from the app's own OpenAPI document (``from_dict`` + the ASGI app, as
``schemathesis.openapi.from_asgi`` does; the lazy ``schemathesis.pytest.from_fixture`` does not work with
pytest 9). The app's database is filled by a module fixture before schemathesis starts its lifespan.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from graphsvc.api import create_app
from graphsvc.settings import Settings
from tests.api_fixtures import demo_database

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _settings(url: str) -> Settings:
    # admin disabled: generated POSTs to /v1/pipeline/* must be refused (503), never run
    return Settings(database_url=url, api_key=None, graph_refresh_s=0, db_pool_max=4)


APP = create_app(_settings("postgresql://filled-in-by-the-fixture"))
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP


@pytest.fixture(scope="module", autouse=True)
def demo_db(pg_server, tmp_path_factory):
    url = demo_database(pg_server, "api_schemathesis", tmp_path_factory.mktemp("demo"), tracks=200, seed=9)
    APP.state.settings = _settings(url)  # read by the lifespan, which schemathesis starts on the first call
    return url


@schema.exclude(path_regex=r"^/v1/pipeline/").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    case.call_and_validate(checks=[not_a_server_error])


@schema.include(path_regex=r"^/v1/pipeline/").parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_pipeline_no_server_errors_except_admin_disabled(case):
    response = case.call()
    if response.status_code == 503:  # admin disabled: a clear refusal, never a crash
        assert case.method == "POST" or "/jobs/" in case.path
        assert "GRAPHSVC_API_KEY" in response.json()["detail"]
    else:
        assert response.status_code < 500, response.text
