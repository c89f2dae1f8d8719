import pytest
from servicekit.config import load_config, retry_delays_ms


def test_config_yml_takes_values_from_the_environment_with_defaults(tmp_path, monkeypatch):
    path = tmp_path / "config.yml"
    path.write_text("AMQP_URI: ${JII_T_AMQP:amqp://default/}\nDATABASE_URL: ${JII_T_DB:pg}\n")
    monkeypatch.setenv("JII_T_DB", "postgresql://elsewhere/db")
    config = load_config(path)
    assert config == {"AMQP_URI": "amqp://default/", "DATABASE_URL": "postgresql://elsewhere/db"}


@pytest.mark.parametrize("raw, expected", [
    ("1000,5000, 30000", (1000, 5000, 30000)),
    ([100, 200], (100, 200)),
])
def test_retry_delays_read_from_a_list_or_a_string(raw, expected):
    assert retry_delays_ms({"EVENT_RETRY_DELAYS_MS": raw}) == expected


def test_non_positive_retry_delays_are_refused():
    with pytest.raises(RuntimeError):
        retry_delays_ms({"EVENT_RETRY_DELAYS_MS": "100,0"})


def test_loading_a_config_leaves_other_yaml_alone(tmp_path):
    import yaml

    path = tmp_path / "config.yml"
    path.write_text("LEVEL: ${JII_T_UNSET_LEVEL:INFO}\n")
    assert load_config(path) == {"LEVEL": "INFO"}
    # docker compose's own `${VAR:-default}` must reach compose files untouched
    assert yaml.safe_load("LEVEL: ${JII_T_UNSET_LEVEL:-INFO}") == {
        "LEVEL": "${JII_T_UNSET_LEVEL:-INFO}"}
