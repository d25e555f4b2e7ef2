"""Configuration fails fast and names the variable to fix."""

from __future__ import annotations

import pytest

from polls.config import Config, ConfigError


def test_defaults_run_a_replica_against_the_local_services():
    config = Config.from_env({"POLLS_INSTANCE": "web-1"})
    assert config.port == 8001
    assert config.database_url.startswith("postgresql://")
    assert config.exchange == "polls.results"


def test_the_instance_name_defaults_to_the_host_name():
    assert Config.from_env({}).instance


def test_variables_override_defaults():
    config = Config.from_env({"POLLS_INSTANCE": "web-7", "POLLS_PORT": "8007", "POLLS_EXCHANGE": "x.y"})
    assert (config.instance, config.port, config.exchange) == ("web-7", 8007, "x.y")


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"POLLS_PORT": "eighty"}, "POLLS_PORT"),
        ({"POLLS_PORT": "70000"}, "POLLS_PORT"),
        ({"POLLS_DATABASE_URL": "mysql://x"}, "POLLS_DATABASE_URL"),
        ({"POLLS_AMQP_URL": "http://x"}, "POLLS_AMQP_URL"),
        ({"POLLS_INSTANCE": "web 1"}, "POLLS_INSTANCE"),
        ({"POLLS_EXCHANGE": "a b"}, "POLLS_EXCHANGE"),
        ({"POLLS_WEBCLIENT_DIR": "/no/such/dir"}, "POLLS_WEBCLIENT_DIR"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_the_variable_and_an_example(environ, variable):
    with pytest.raises(ConfigError, match=rf"^{variable} .*\(example: .+\)$"):
        Config.from_env({"POLLS_INSTANCE": "web-1", **environ})
