"""The one settings object: environment parsing and secret handling."""

from __future__ import annotations

import pytest

from streams.settings import Settings


def test_write_keys_name_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLOG_WRITE_KEYS", "key1=web, key2=ios")
    settings = Settings()
    assert settings.source_for_key("key1") == "web"
    assert settings.source_for_key("key2") == "ios"
    assert settings.source_for_key("key3") is None


def test_write_keys_never_appear_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLOG_WRITE_KEYS", "s3cr3t-key=web")
    assert "s3cr3t" not in repr(Settings())


def test_a_malformed_write_key_item_is_an_error_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLOG_WRITE_KEYS", "s3cr3t-key")
    with pytest.raises(ValueError, match="not of the form key=source") as caught:
        Settings()
    assert "s3cr3t" not in str(caught.value)


def test_port_data_dir_and_broker_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLOG_HTTP_PORT", "9123")
    monkeypatch.setenv("TRACKLOG_DATA_DIR", "/tmp/elsewhere")
    monkeypatch.setenv("TRACKLOG_BROKER", "kafka://10.0.0.1:9092,kafka://10.0.0.2:9092")
    settings = Settings()
    assert settings.http_port == 9123
    assert str(settings.data_dir) == "/tmp/elsewhere"
    assert settings.bootstrap_servers == "10.0.0.1:9092,10.0.0.2:9092"


def test_ingest_max_inflight_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().ingest_max_inflight == 64
    monkeypatch.setenv("TRACKLOG_INGEST_MAX_INFLIGHT", "8")
    assert Settings().ingest_max_inflight == 8
    monkeypatch.setenv("TRACKLOG_INGEST_MAX_INFLIGHT", "0")
    with pytest.raises(ValueError, match="ingest_max_inflight"):
        Settings()


def test_session_timeout_reaches_the_faust_app_and_stays_within_the_brokers_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from streams.kafka.app import Tracklog

    monkeypatch.setenv("TRACKLOG_BROKER", "kafka://127.0.0.1:9092")
    monkeypatch.setenv("TRACKLOG_SESSION_TIMEOUT", "7.5")
    conf = Tracklog(Settings()).app.conf
    assert conf.broker_session_timeout == 7.5
    assert conf.broker_heartbeat_interval == 2.5
    monkeypatch.setenv("TRACKLOG_SESSION_TIMEOUT", "2")  # below Kafka's group minimum
    with pytest.raises(ValueError, match="session_timeout"):
        Settings()


def test_the_replication_factor_reaches_every_topic_and_three_copies_need_two_in_sync(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from streams.kafka.app import Tracklog

    monkeypatch.setenv("TRACKLOG_BROKER", "kafka://127.0.0.1:9092")
    single = Tracklog(Settings())
    assert single.app.conf.topic_replication_factor == 1
    assert not any("min.insync.replicas" in config for _, _, config in single.topics_to_create)
    monkeypatch.setenv("TRACKLOG_REPLICATION_FACTOR", "3")
    tracklog = Tracklog(Settings())
    assert tracklog.app.conf.topic_replication_factor == 3
    assert {config.get("min.insync.replicas") for _, _, config in tracklog.topics_to_create} == {"2"}
    monkeypatch.setenv("TRACKLOG_REPLICATION_FACTOR", "0")
    with pytest.raises(ValueError, match="replication_factor"):
        Settings()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.7"])
def test_dev_mode_serves_on_loopback_only(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    from streams.ops.cli import dev_settings

    monkeypatch.setenv("TRACKLOG_HTTP_HOST", host)
    settings = dev_settings(Settings())
    assert settings.dev and settings.http_host == "127.0.0.1"
    monkeypatch.setenv("TRACKLOG_HTTP_HOST", "::1")
    assert dev_settings(Settings()).http_host == "::1"
    assert Settings().http_host == "::1" and not Settings().dev
